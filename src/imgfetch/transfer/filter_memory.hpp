#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "imgfetch/list/shard.hpp"

namespace imgfetch {

class OutputDir;
struct TransferOptions;

// Pure: a short fingerprint of everything that decides whether a body is `filtered` (the
// image filters, --reject-hash's file contents), or "" when no filter is set. Two runs with the
// same fingerprint would filter the same bodies the same way. Throws SetupError when the
// --reject-hash file cannot be read.
std::string filter_fingerprint(const TransferOptions& settings);

// What earlier runs' filters turned away, so a rerun does not fetch those URLs again (issue 14
// part 3). Each run appends to a file of its own in the output directory,
// DIR/.imgfetch.filtered (a shard's: DIR/.imgfetch.shard-K-of-N.filtered), one line per URL:
//   "<sha256 of the normalized URL> <fingerprint> <reason>\n"
// The URL itself is never written (it may hold credentials). A run reads every such file in DIR
// (all shards') at its start and recalls the lines made under its own fingerprint: change a
// filter, or --reject-hash's file, and those URLs are fetched again.
//
// Thread-safety: recall() reads a map that is immutable after construction; remember() takes
// m_mutex, which guards the descriptor's writes and m_write_failed. Workers call both.
class FilterMemory {
public:
    static constexpr const char* k_suffix = ".filtered";

    // Reads the memory files in `dir`; opens this run's own for appending (created 0644).
    // Throws SetupError when it cannot be opened.
    FilterMemory(const OutputDir& dir, const std::optional<Shard>& shard, std::string fingerprint);
    ~FilterMemory();
    FilterMemory(const FilterMemory&) = delete;
    FilterMemory& operator=(const FilterMemory&) = delete;

    // The reason an earlier run with this fingerprint filtered `normalized_url`, or nothing.
    std::optional<std::string> recall(const std::string& normalized_url) const;

    // Appends `normalized_url`'s line (one write(2) on an O_APPEND descriptor, so shards sharing
    // DIR never interleave). A write error is logged once, never thrown: the download is done,
    // only the next run's shortcut is lost.
    void remember(const std::string& normalized_url, const std::string& reason);

    // The lines recalled at construction (for tests and the debug log).
    std::size_t recalled() const { return m_recalled.size(); }

private:
    const std::string m_fingerprint;
    std::unordered_map<std::string, std::string> m_recalled; // URL digest -> reason; immutable
    std::mutex m_mutex;                                      // guards m_fd's writes, m_write_failed
    int m_fd = -1;
    bool m_write_failed = false;
};

} // namespace imgfetch
