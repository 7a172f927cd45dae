#include "imgfetch/report/report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/error_text.hpp"

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

} // namespace

json report_file_entry(const TransferResult& r, const std::string& path) {
    return json{{"line", r.line},
                {"url", or_null(r.url)},
                {"path", or_null(path)},
                {"status", std::string(to_string(r.status))},
                {"http_status", or_null(r.http_status)},
                {"http_version", or_null(r.http_version)},
                {"bytes", r.bytes},
                {"received", r.received},
                {"resumed_from", r.resumed_from},
                {"attempts", r.attempts},
                {"worker", or_null(r.worker)},
                {"start", or_null(r.start)},
                {"end", or_null(r.end)},
                {"error", or_null(r.error)},
                {"sha256", or_null(r.sha256)},
                {"format", or_null(r.format)},
                {"width", r.width == 0 ? json(nullptr) : json(r.width)},
                {"height", r.height == 0 ? json(nullptr) : json(r.height)},
                {"frames", r.frames == 0 ? json(nullptr) : json(r.frames)},
                {"reason", or_null(r.reason)},
                {"effective_url", or_null(r.effective_url)},
                {"duplicate_of", or_null(r.same_content_as)},
                {"page", or_null(r.page)}};
}

json report_summary(const Summary& summary) {
    return json{{"total", summary.total},
                {"ok", summary.ok},
                {"failed", summary.failed},
                {"skipped", summary.skipped},
                {"not_modified", summary.not_modified},
                {"duplicate", summary.duplicate},
                {"filtered", summary.filtered},
                {"bytes", summary.bytes},
                {"connections", summary.connections},
                {"tls_handshakes", summary.tls_handshakes}};
}

std::string json_text(const json& value, int indent) {
    // Server-controlled bytes may be invalid UTF-8: replace, never emit broken JSON.
    return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

namespace {

std::string dump(const json& value) {
    return json_text(value, 2);
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
    std::array<char, 32> buffer{};
    std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:03d}Z", buffer.data(), millis);
}

std::string format_summary_line(const Summary& s, const RunInfo& info) {
    const double rate = info.seconds > 0 ? megabytes(s.bytes) / info.seconds : 0.0;
    return fmt::format("{} ok, {} failed, {} skipped, {} not modified, {} duplicate, {} filtered; "
                       "{:.2f} MB in {:.2f} s ({:.2f} MB/s), {}",
                       s.ok, s.failed, s.skipped, s.not_modified, s.duplicate, s.filtered,
                       megabytes(s.bytes), info.seconds, rate,
                       info.mode == "sequential"
                           ? std::string("sequential")
                           : fmt::format("{} worker{}", info.jobs, info.jobs == 1 ? "" : "s"));
}

std::string render_json_report(const RunInfo& info, const Summary& summary,
                               const std::vector<TransferResult>& records) {
    // The same code as a run's report: the bytes cannot differ. Memory only, unless the
    // records are many.
    JsonReportWriter writer;
    for (const TransferResult& record : records) {
        writer.add(record);
    }
    return writer.render(info, summary);
}

void check_report_writable(const std::string& path) {
    const std::string probe = path + ".part";
    std::ofstream out(probe, std::ios::binary | std::ios::trunc);
    if (!out) {
        throw SetupError("cannot write report '" + path + "': " + error_text(errno));
    }
    out.close();
    std::remove(probe.c_str());
}

void write_json_report(const std::string& path, const RunInfo& info, const Summary& summary,
                       const std::vector<TransferResult>& records) {
    JsonReportWriter writer;
    for (const TransferResult& record : records) {
        writer.add(record);
    }
    writer.write(path, info, summary);
}

// --- JsonReportWriter ------------------------------------------------------------------------

JsonReportWriter::JsonReportWriter(std::string spill_dir)
    : m_entries("the report's entries", spill_dir), m_first_paths(std::move(spill_dir)) {}

std::size_t JsonReportWriter::memory_bytes() const {
    return m_entries.memory_bytes() + m_first_paths.memory_bytes() + m_error.capacity();
}

void JsonReportWriter::add(const TransferResult& result) noexcept {
    if (!m_error.empty()) {
        return; // the report cannot be written anyway
    }
    try {
        append(result);
    } catch (const std::exception& e) {
        try {
            m_error = e.what();
        } catch (...) {
            m_error = "?"; // cannot happen: short strings fit in place
        }
        if (m_error.empty()) {
            m_error = "unknown error";
        }
    }
}

void JsonReportWriter::append(const TransferResult& r) {
    // A duplicate points at the file of its first occurrence, written before it.
    const std::string path = m_first_paths.path_shown(r);
    // Each entry as nlohmann writes an element of the files array: indented by two levels
    // (JSON text has no raw newline inside a string, so every '\n' starts a line).
    std::string entry = "    ";
    for (const char c : dump(report_file_entry(r, path))) {
        entry += c;
        if (c == '\n') {
            entry += "    ";
        }
    }
    m_entries.append(m_count == 0 ? "\n" : ",\n");
    m_entries.append(entry);
    ++m_count;
}

JsonReportWriter::Head JsonReportWriter::head(const RunInfo& info, const Summary& summary) const {
    const json report{{"version", 1},
                      {"mode", info.mode},
                      {"jobs", info.jobs},
                      {"started", info.started},
                      {"seconds", info.seconds},
                      {"summary", report_summary(summary)},
                      {"files", json::array()}};
    // "files" is the last key: its empty array ends the text ("[]\n}"), and the entries go in
    // between, with the closing bracket on a line of its own as for a non-empty array.
    std::string text = dump(report);
    const std::size_t bracket = text.rfind("[]");
    if (m_count == 0 || bracket == std::string::npos) {
        return Head{std::move(text), "\n"};
    }
    return Head{text.substr(0, bracket + 1), "\n  " + text.substr(bracket + 1) + "\n"};
}

std::string JsonReportWriter::render(const RunInfo& info, const Summary& summary) const {
    if (!m_error.empty()) {
        throw std::runtime_error(m_error);
    }
    Head parts = head(info, summary);
    std::string text = std::move(parts.before_entries);
    m_entries.for_each_chunk([&text](std::string_view chunk) { text += chunk; });
    text += parts.after_entries;
    return text;
}

void JsonReportWriter::write(const std::string& path, const RunInfo& info,
                             const Summary& summary) const {
    if (!m_error.empty()) {
        throw SetupError("cannot write report '" + path + "': " + m_error);
    }
    const std::string temp = path + ".part";
    try {
        const Head parts = head(info, summary);
        errno = 0;
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << parts.before_entries;
        m_entries.for_each_chunk([&out](std::string_view chunk) {
            out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        });
        out << parts.after_entries;
        out.close();
        if (!out) {
            throw std::runtime_error(errno != 0 ? error_text(errno) : std::string("write failed"));
        }
    } catch (const std::exception& e) {
        std::remove(temp.c_str());
        throw SetupError("cannot write report '" + path + "': " + e.what());
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::remove(temp.c_str());
        throw SetupError("cannot write report '" + path + "': " + ec.message());
    }
}

} // namespace imgfetch
