#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/spill_log.hpp"
#include "imgfetch/util/string_table.hpp"

namespace imgfetch {

// The path each result of a run is shown with in the report and --json-lines: its own, or for
// a duplicate the file of its first occurrence, found by seq. Memory does not grow with the list:
// the paths and an index of 16 bytes per seq live in SpillLogs (64 KiB each in memory, the rest in
// unnamed temporary files in `spill_dir`). Not thread-safe: its owner serialises the calls.
class FirstPaths {
public:
    explicit FirstPaths(std::string spill_dir = default_spill_dir());

    // The path the entry of `result` shows: a duplicate's is its first occurrence's (empty
    // when that one had none; its own when that one was never recorded); any other result's is
    // its own, recorded for the duplicates that come later. Results come in list order. Throws on
    // an I/O error or out of memory.
    std::string path_shown(const TransferResult& result);

    // Records `path` (may be empty) for `seq`. Seqs come in increasing order; a seq that is
    // not above the last one recorded is ignored. Throws on an I/O error or out of memory.
    void record(std::size_t seq, std::string_view path);

    // The path recorded for `seq`; nothing when none was.
    std::optional<std::string> find(std::size_t seq) const;

    // Heap bytes held, excluding what is spilled to disk.
    std::size_t memory_bytes() const { return m_paths.memory_bytes() + m_index.memory_bytes(); }

private:
    SpillLog m_paths;          // the paths, one after another
    SpillLog m_index;          // per seq from 0: {offset + 1, size} of its path, or zeros
    std::size_t m_indexed = 0; // seqs in m_index
};

} // namespace imgfetch
