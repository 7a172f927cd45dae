#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imgfetch/util/spill_file.hpp"
#include "imgfetch/util/spill_log.hpp"

namespace imgfetch {

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
