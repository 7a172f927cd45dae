#pragma once

#include <string>
#include <vector>

#include "imgfetch/result_sink.hpp"
#include "imgfetch/transfer_result.hpp"

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

// Writes render_json_report() to `path` via a temporary and a rename. Throws SetupError.
void write_json_report(const std::string& path, const RunInfo& info, const Summary& summary,
                       const std::vector<TransferResult>& records);

} // namespace imgfetch
