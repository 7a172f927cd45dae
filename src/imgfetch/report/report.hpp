#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "imgfetch/report/first_paths.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/string_table.hpp"

namespace imgfetch {

// Facts about the whole run, for the summary line and the JSON report.
struct RunInfo {
    std::string mode; // "pool" or "sequential"
    unsigned jobs = 1;
    std::string started; // ISO 8601, UTC
    double seconds = 0;
};

// The current UTC time as ISO 8601 with milliseconds ("2026-11-22T04:16:13.123Z").
std::string iso8601_now();

// "12 ok, 1 failed, 0 skipped, 0 not modified, 2 duplicate; 3.4 MB in 1.20 s (2.83 MB/s),
// 8 workers" — what users compare between --sequential and -j N.
std::string format_summary_line(const Summary& summary, const RunInfo& info);

// The JSON report (version 1), records in list order. Untrusted strings are escaped by the
// JSON writer; invalid UTF-8 is replaced, never passed through.
std::string render_json_report(const RunInfo& info, const Summary& summary,
                               const std::vector<TransferResult>& records);

// The report's `files` entry of `result` (its file shown as `path`: a duplicate's is its first
// occurrence's), and the report's `summary` object: the one source of both for the JSON
// report and --json-lines. Pure.
nlohmann::ordered_json report_file_entry(const TransferResult& result, const std::string& path);
nlohmann::ordered_json report_summary(const Summary& summary);

// `value` as JSON text: indented by `indent` spaces per level, or on one line when `indent` is
// -1. Invalid UTF-8 (server-controlled bytes) is replaced, never passed through.
std::string json_text(const nlohmann::ordered_json& value, int indent);

// Throws SetupError now when the report could not be written at the end of the run.
void check_report_writable(const std::string& path);

// Writes render_json_report() to `path` via a temporary and a rename. Throws SetupError.
void write_json_report(const std::string& path, const RunInfo& info, const Summary& summary,
                       const std::vector<TransferResult>& records);

// The JSON report of a run written as its results arrive, in memory that does not grow with
// the list: add() takes each result in list order and appends its entry to a SpillLog (64 KiB
// in memory, the rest in an unnamed temporary file in `spill_dir`). The header and summary,
// known only at the end, come first in the file, so write() writes them to a temporary beside
// the report, copies the entries after them and renames it over the report. The bytes are
// exactly render_json_report()'s.
//
// A duplicate's path is its first occurrence's (FirstPaths, as for --json-lines). Not
// thread-safe.
class JsonReportWriter {
public:
    explicit JsonReportWriter(std::string spill_dir = default_spill_dir());

    // Appends the entry of `result`; results come in list order. Never throws: a failure
    // (out of memory, the temporary file) is kept, and render() and write() throw it.
    void add(const TransferResult& result) noexcept;

    // The whole report. Throws std::runtime_error when an add() failed.
    std::string render(const RunInfo& info, const Summary& summary) const;
    // Writes it to `path` via a temporary and a rename. Throws SetupError.
    void write(const std::string& path, const RunInfo& info, const Summary& summary) const;

    // Heap bytes held, excluding what is spilled to disk.
    std::size_t memory_bytes() const;

private:
    struct Head {
        std::string before_entries; // up to and including the files array's '['
        std::string after_entries;
    };
    Head head(const RunInfo& info, const Summary& summary) const;
    void append(const TransferResult& result);

    SpillLog m_entries;       // ",\n    {...}" per entry, in list order
    FirstPaths m_first_paths; // the path each entry shows, for its duplicates
    std::size_t m_count = 0;
    std::string m_error; // the first failure of add()
};

} // namespace imgfetch
