#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/util/spill_file.hpp"

namespace imgfetch {

// An append-only byte log that keeps at most `buffer_bytes` in memory: the rest lives in a
// SpillFile in `spill_dir`, read back with pread(). For what a run must remember per URL but
// reads only at the end or rarely (the report's entries, the failed list, timeline bars,
// results waiting for their turn). When no spill file can be made or written, it says so once
// and keeps the bytes in memory from then on (correct, only bigger). Not thread-safe.
class SpillLog {
public:
    // `what` names the contents in that one warning ("the report's entries").
    explicit SpillLog(std::string what, std::string spill_dir = default_spill_dir(),
                      std::size_t buffer_bytes = std::size_t{64} << 10);

    // Appends `bytes` and returns their offset in the log.
    std::uint64_t append(std::string_view bytes);
    // Replaces bytes already appended (at `offset`, which with `bytes` must lie below size()).
    // Throws std::system_error when the spill file cannot be written.
    void overwrite(std::uint64_t offset, std::string_view bytes);
    // Copies `size` bytes from `offset`, which with `size` must lie below size(). Throws
    // std::system_error on an I/O error.
    void read(std::uint64_t offset, void* data, std::size_t size) const;
    // Calls `chunk` with the whole log in order, in pieces of at most the buffer size.
    void for_each_chunk(const std::function<void(std::string_view)>& chunk) const;

    std::uint64_t size() const { return m_flushed + m_buffer.size(); }
    // Heap bytes held (the buffer), excluding what is spilled to disk.
    std::size_t memory_bytes() const { return m_buffer.capacity(); }
    // True once some bytes live in the spill file.
    bool spilled() const { return m_flushed > 0; }

private:
    void flush();

    std::string m_what;
    std::string m_spill_dir;
    std::size_t m_buffer_bytes;
    // Bytes [0, m_flushed) in m_file, the rest in m_buffer.
    std::optional<SpillFile> m_file;
    std::uint64_t m_flushed = 0;
    std::string m_buffer;
    bool m_memory_only = false; // a spill file could not be made or written
};

// Reads a SpillLog from its start, in order, a buffer at a time. Not thread-safe; the log
// must not change while it is read.
class SpillLogReader {
public:
    explicit SpillLogReader(const SpillLog& log) : m_log(log) {}
    // Copies the next `size` bytes; false (nothing read) when fewer than `size` are left.
    bool read(void* data, std::size_t size);
    bool at_end() const { return m_offset >= m_log.size(); }

private:
    const SpillLog& m_log;
    std::uint64_t m_offset = 0;      // of the next byte to read
    std::uint64_t m_chunk_start = 0; // offset of m_chunk[0]
    std::string m_chunk;
};

} // namespace imgfetch
