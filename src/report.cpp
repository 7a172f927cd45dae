#include "imgfetch/report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "imgfetch/setup_error.hpp"

namespace imgfetch {

namespace {

using json = nlohmann::ordered_json;

template <typename T>
json or_null(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json or_null(const std::string& value) {
    return value.empty() ? json(nullptr) : json(value);
}

json file_entry(const TransferResult& r, const std::vector<TransferResult>& records) {
    std::string path = r.path;
    // A duplicate points at the file of its first occurrence; records are in seq order, and
    // seq is the index of the record (every list line that produced a result has one).
    if (r.status == Status::duplicate && r.duplicate_of && *r.duplicate_of < records.size()) {
        path = records[*r.duplicate_of].path;
    }
    return json{{"line", r.line},
                {"url", or_null(r.url)},
                {"path", or_null(path)},
                {"status", std::string(to_string(r.status))},
                {"http_status", or_null(r.http_status)},
                {"http_version", or_null(r.http_version)},
                {"bytes", r.bytes},
                {"attempts", r.attempts},
                {"worker", or_null(r.worker)},
                {"start", or_null(r.start)},
                {"end", or_null(r.end)},
                {"error", or_null(r.error)},
                {"sha256", or_null(r.sha256)}};
}

double megabytes(std::uint64_t bytes) {
    return static_cast<double>(bytes) / 1e6;
}

} // namespace

std::string iso8601_now() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:03d}Z", buffer, millis);
}

std::string format_summary_line(const Summary& s, const RunInfo& info) {
    const double rate = info.seconds > 0 ? megabytes(s.bytes) / info.seconds : 0.0;
    return fmt::format("{} ok, {} failed, {} skipped, {} not modified, {} duplicate; "
                       "{:.2f} MB in {:.2f} s ({:.2f} MB/s), {}",
                       s.ok, s.failed, s.skipped, s.not_modified, s.duplicate, megabytes(s.bytes),
                       info.seconds, rate,
                       info.mode == "sequential"
                           ? std::string("sequential")
                           : fmt::format("{} worker{}", info.jobs, info.jobs == 1 ? "" : "s"));
}

std::string render_json_report(const RunInfo& info, const Summary& summary,
                               const std::vector<TransferResult>& records) {
    json files = json::array();
    for (const TransferResult& record : records) {
        files.push_back(file_entry(record, records));
    }
    const json report{{"version", 1},
                      {"mode", info.mode},
                      {"jobs", info.jobs},
                      {"started", info.started},
                      {"seconds", info.seconds},
                      {"summary",
                       {{"total", summary.total},
                        {"ok", summary.ok},
                        {"failed", summary.failed},
                        {"skipped", summary.skipped},
                        {"not_modified", summary.not_modified},
                        {"duplicate", summary.duplicate},
                        {"bytes", summary.bytes}}},
                      {"files", std::move(files)}};
    // Server-controlled bytes may be invalid UTF-8: replace, never emit broken JSON.
    return report.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

void write_json_report(const std::string& path, const RunInfo& info, const Summary& summary,
                       const std::vector<TransferResult>& records) {
    const std::string temp = path + ".part";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << render_json_report(info, summary, records);
        out.close();
        if (!out) {
            std::remove(temp.c_str());
            throw SetupError("cannot write report '" + path + "'");
        }
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::remove(temp.c_str());
        throw SetupError("cannot write report '" + path + "': " + ec.message());
    }
}

} // namespace imgfetch
