#pragma once

#include <cstddef>
#include <string>

#include "imgfetch/report/first_paths.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/transfer/transfer_result.hpp"

namespace imgfetch {

// --json-lines FILE|-: one JSON object per finished URL on a line of its own, exactly the
// report's `files` entry (report_file_entry(), a duplicate showing its first occurrence's
// path), written with write(2) as each result arrives, so a reader sees it at once; the last
// line is {"summary": {...}}, the report's summary. "-" is standard output. Results come in
// list order (from the ResultSink), the order of the report.
//
// The file is streamed, not renamed into place: a reader knows it is complete when the
// summary line is there. A write that fails (EPIPE from a reader that went away, ENOSPC) is
// logged once and ends the lines (no gap is ever hidden in the middle); the run goes on, and
// finish() throws. Not thread-safe: the ResultSink's lock serialises add() (its owner,
// RunOutputs, is the sink's consumer), and finish() runs after the sink has finished.
class JsonLinesWriter {
public:
    // Opens or creates `path` (mode 0644 before the umask), or takes standard output for "-";
    // an existing file is truncated only when the first line is written, so a run that fails
    // at set-up (another run holds the directory's lock) leaves it untouched. Throws
    // SetupError when the file cannot be opened.
    explicit JsonLinesWriter(std::string path, std::string spill_dir = default_spill_dir());
    ~JsonLinesWriter();
    JsonLinesWriter(const JsonLinesWriter&) = delete;
    JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;

    // Writes the line of `result`. Never throws: a failure is kept for finish().
    void add(const TransferResult& result) noexcept;

    // Writes the summary line and closes the file (not standard output). Throws SetupError
    // when a line could not be written. Call once.
    void finish(const Summary& summary);

    std::size_t lines_written() const { return m_written; }

private:
    void write_line(const std::string& line);
    void fail(const std::string& error);

    const std::string m_path; // as given, for messages
    int m_fd = -1;
    bool m_owns_fd = false;
    bool m_truncate_first = false; // the file is cut to nothing at the first line written
    FirstPaths m_first_paths;
    std::size_t m_written = 0; // lines written whole
    std::size_t m_lost = 0;    // lines not written after m_error
    std::string m_error;       // the first failure; empty while every line was written
};

} // namespace imgfetch
