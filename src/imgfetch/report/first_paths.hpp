#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/util/spill_log.hpp"
#include "imgfetch/util/string_table.hpp"

namespace imgfetch {

// The path each result of a run was shown with, by seq: what a later duplicate's entry names
// as its path (the file of its first occurrence). Memory does not grow with the list: the
// paths and an index of 16 bytes per seq live in SpillLogs (64 KiB each in memory, the rest in
// unnamed temporary files in `spill_dir`). Not thread-safe: its owner serialises the calls.
class FirstPaths {
public:
    explicit FirstPaths(std::string spill_dir = default_spill_dir());

    // Records `path` (may be empty) for `seq`. Seqs come in increasing order; a seq that is
    // not above the last one recorded is ignored. Throws on an I/O error or out of memory.
    void record(std::size_t seq, std::string_view path);

    // The path recorded for `seq`; nothing when none was.
    std::optional<std::string> find(std::size_t seq) const;

private:
    SpillLog m_paths;          // the paths, one after another
    SpillLog m_index;          // per seq from 0: {offset + 1, size} of its path, or zeros
    std::size_t m_indexed = 0; // seqs in m_index
};

} // namespace imgfetch
