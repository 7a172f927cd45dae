#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgfetch {

// An unnamed temporary file (O_TMPFILE, or created and unlinked at once): nothing to clean
// up, even after a crash. Its pages live in the page cache, not in the process's RSS.
// Not thread-safe.
class SpillFile {
public:
    SpillFile() = default;
    ~SpillFile();
    SpillFile(const SpillFile&) = delete;
    SpillFile& operator=(const SpillFile&) = delete;
    SpillFile(SpillFile&& other) noexcept;
    SpillFile& operator=(SpillFile&& other) noexcept;

    // A new empty file in `dir`; nothing (errno set) when none can be made there.
    static std::optional<SpillFile> create(const std::string& dir);

    // Throws std::system_error on an I/O error or a short read.
    void read(std::uint64_t offset, void* data, std::size_t size) const;
    // Returns false (errno set) when the data could not be written, e.g. the disk is full.
    bool write(std::uint64_t offset, const void* data, std::size_t size);
    // Reserves `size` bytes of zeros, so later writes below it cannot fail for want of space.
    bool allocate(std::uint64_t size);
    // Sets the file's size (ftruncate): growing adds a hole that reads as zeros and takes no
    // disk. Returns false (errno set) on failure.
    bool resize(std::uint64_t size);

private:
    explicit SpillFile(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

// The directory for spill files: $TMPDIR, else /tmp.
std::string default_spill_dir();

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

// An exact map from strings to 64-bit values whose memory stays bounded however many keys it
// holds: the per-URL state of a run (seen URLs, reserved names) for lists of any length.
//
// Keys live once, in an append-only log of {value, length, bytes} records; the index is an
// open-addressing table of {64-bit fingerprint, log offset} slots (linear probing, at most
// half full). A fingerprint match is confirmed against the logged key, so two keys with equal
// fingerprints are both kept: answers are exact, whatever the hasher. Past `memory_slots`
// slots the index, and past `log_buffer_bytes` the log, move to SpillFiles in `spill_dir`
// and are read back with pread(): per key, ~32 bytes of index and 12 + key bytes of log on
// disk (page cache), nothing in memory. When no spill file can be made, everything stays in
// memory (correct, only bigger) and spilled() stays false.
//
// Not thread-safe.
class StringTable {
public:
    using Hasher = std::uint64_t (*)(std::string_view);

    struct Limits {
        // 256 KiB of index in memory (8192 keys): a list of a few thousand URLs never
        // touches the disk; past that, memory stays at this.
        std::size_t memory_slots = std::size_t{1} << 14;
        std::size_t log_buffer_bytes = std::size_t{64} << 10;
        std::string spill_dir = default_spill_dir();
    };

    // Libstdc++'s std::hash for strings (MurmurHash2, 64-bit): fast and well mixed.
    static std::uint64_t default_hash(std::string_view key);

    StringTable();
    explicit StringTable(Limits limits, Hasher hasher = &default_hash);

    // The value stored with `key`, or nothing.
    std::optional<std::uint64_t> find(std::string_view key);
    bool contains(std::string_view key) { return find(key).has_value(); }

    // Stores `key` with `value` unless it is there already. Returns the value stored with
    // `key` and whether this call inserted it.
    std::pair<std::uint64_t, bool> try_emplace(std::string_view key, std::uint64_t value);

    // Stores `value` with `key`, inserting the key or replacing its value.
    void assign(std::string_view key, std::uint64_t value);

    std::size_t size() const { return m_size; }
    // Heap bytes this table holds (index and log buffer), excluding what is spilled to disk.
    std::size_t memory_bytes() const;
    // True once the index has moved to disk.
    bool spilled() const { return m_slot_file.has_value(); }

private:
    struct Slot {
        std::uint64_t fingerprint = 0; // 0: empty (a key's fingerprint is never 0)
        std::uint64_t offset = 0;      // of the key's record in the log
    };
    struct Lookup {
        std::size_t slot = 0;               // where the key is, or the empty slot it would take
        std::optional<std::uint64_t> value; // set when the key is there
        std::uint64_t offset = 0;           // of the key's record, when it is there
    };

    std::uint64_t fingerprint(std::string_view key) const;
    Lookup lookup(std::string_view key, std::uint64_t fingerprint);
    Slot slot_at(std::size_t index);
    void set_slot(std::size_t index, const Slot& slot);
    // The value of the record at `offset` if its key is `key`.
    std::optional<std::uint64_t> record_value_if(std::uint64_t offset, std::string_view key);
    std::uint64_t append_record(std::string_view key, std::uint64_t value);
    void set_record_value(std::uint64_t offset, std::uint64_t value);
    void spill_failed();
    void grow();

    Limits m_limits;
    Hasher m_hasher;
    std::size_t m_size = 0;
    std::size_t m_capacity = 0; // slots, a power of two

    // A block of the spilled index as last read (a probe run rarely leaves its block).
    struct Block {
        std::size_t start = 0; // first slot
        bool valid = false;
        std::vector<Slot> slots;
    };

    // The index: in m_slots, or once spilled in m_slot_file. m_blocks caches the few blocks
    // probed last: one reserve() looks a name up and then inserts it, and a lookup and an
    // insert of one key probe the same block.
    std::vector<Slot> m_slots;
    std::optional<SpillFile> m_slot_file;
    std::vector<Block> m_blocks;
    std::size_t m_next_victim = 0; // the cached block replaced next (round robin)

    SpillLog m_log;              // the key records
    bool m_spill_failed = false; // the index's spill file could not be made: memory only
    std::string m_scratch;       // a logged key being compared
};

} // namespace imgfetch
