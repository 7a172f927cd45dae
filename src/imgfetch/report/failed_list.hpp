#pragma once

#include <string>
#include <vector>

#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/string_table.hpp"

namespace imgfetch {

// --failed-list FILE: what failed in a run, as a URL list that `imgfetch FILE` runs again.
struct FailedList {
    // In list order, one line per failed result: "URL NAME" for a download (the URL as listed,
    // credentials included; NAME the name reserved for it, so a rerun saves under the same
    // name, "-2" suffixes included), "# REASON" for a list line that had no usable URL, and
    // "# run this page again with --page URL: page URL: REASON" for a page (--page) that failed
    // (credentials redacted), which a list line would fetch as an image. Empty when nothing
    // failed.
    std::string text;
    bool has_credentials = false; // some URL carries user:password@: keep the file private
};

// Pure: the failed list of `records` (in list order; results other than failed are ignored).
// `interrupted` adds a last comment: lines after the last one read were never read.
FailedList render_failed_list(const std::vector<TransferResult>& records, bool interrupted);

// Throws SetupError now when the failed list could not be written at the end of the run.
void check_failed_list_writable(const std::string& path);

// Writes render_failed_list() to `path` through a temporary and a rename, replacing the file
// (always, empty when nothing failed). The file gets mode 0600 when a URL carries credentials,
// else 0666 minus the umask. Throws SetupError.
void write_failed_list(const std::string& path, const std::vector<TransferResult>& records,
                       bool interrupted);

// The failed list of a run, gathered as its results arrive in memory that does not grow with
// the list: add() takes each result in list order and appends the line of a failed one to a
// SpillLog (64 KiB in memory, the rest in an unnamed temporary file in `spill_dir`); write()
// copies them to a temporary beside the file and renames it over it. The bytes and mode are
// exactly render_failed_list()'s and write_failed_list()'s. Not thread-safe.
class FailedListWriter {
public:
    explicit FailedListWriter(std::string spill_dir = default_spill_dir());

    // Results other than failed are ignored. Never throws: a failure (out of memory, the
    // temporary file) is kept, and render() and write() throw it.
    void add(const TransferResult& result) noexcept;

    // Throws std::runtime_error when an add() failed.
    FailedList render(bool interrupted) const;
    // Throws SetupError.
    void write(const std::string& path, bool interrupted) const;

    std::size_t memory_bytes() const { return m_lines.memory_bytes(); }

private:
    SpillLog m_lines;
    bool m_has_credentials = false;
    std::string m_error; // the first failure of add()
};

} // namespace imgfetch
