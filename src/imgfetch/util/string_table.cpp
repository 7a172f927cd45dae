#include "imgfetch/util/string_table.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <system_error>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "imgfetch/util/error_text.hpp"

namespace imgfetch {

namespace {

// Slots read from a spilled index at once: one pread per probe run in almost every case
// (runs stay short at half load), and a block is small enough to copy cheaply.
constexpr std::size_t k_block_slots = 32;

// Blocks of a spilled index kept in memory: enough for the keys one reserve() touches.
constexpr std::size_t k_cached_blocks = 4;

// The first index, in memory: small, so a short list costs next to nothing.
constexpr std::size_t k_initial_slots = 64;

// Records of the log: value, key length, key bytes.
constexpr std::size_t k_record_header_bytes = sizeof(std::uint64_t) + sizeof(std::uint32_t);

std::system_error io_error(const char* what) {
    return std::system_error(errno, std::generic_category(), what);
}

} // namespace

std::uint64_t StringTable::default_hash(std::string_view key) {
    return std::hash<std::string_view>{}(key);
}

StringTable::StringTable() : StringTable(Limits{}) {}

StringTable::StringTable(Limits limits, Hasher hasher)
    : m_limits(std::move(limits)), m_hasher(hasher), m_capacity(k_initial_slots),
      m_slots(k_initial_slots),
      m_log("the list's URLs and names", m_limits.spill_dir, m_limits.log_buffer_bytes) {}

std::size_t StringTable::memory_bytes() const {
    std::size_t bytes = m_slots.capacity() * sizeof(Slot) + m_blocks.capacity() * sizeof(Block) +
                        m_log.memory_bytes() + m_scratch.capacity();
    for (const Block& block : m_blocks) {
        bytes += block.slots.capacity() * sizeof(Slot);
    }
    return bytes;
}

std::uint64_t StringTable::fingerprint(std::string_view key) const {
    const std::uint64_t hash = m_hasher(key);
    return hash == 0 ? 1 : hash; // 0 marks an empty slot
}

std::optional<std::uint64_t> StringTable::find(std::string_view key) {
    return lookup(key, fingerprint(key)).value;
}

std::pair<std::uint64_t, bool> StringTable::try_emplace(std::string_view key, std::uint64_t value) {
    const std::uint64_t print = fingerprint(key);
    Lookup found = lookup(key, print);
    if (found.value) {
        return {*found.value, false};
    }
    // Grow before the table is more than half full: probe runs stay short.
    if (2 * (m_size + 1) > m_capacity) {
        grow();
        found = lookup(key, print);
    }
    set_slot(found.slot, Slot{print, append_record(key, value)});
    ++m_size;
    return {value, true};
}

void StringTable::assign(std::string_view key, std::uint64_t value) {
    const Lookup found = lookup(key, fingerprint(key));
    if (found.value) {
        set_record_value(found.offset, value);
        return;
    }
    try_emplace(key, value);
}

StringTable::Lookup StringTable::lookup(std::string_view key, std::uint64_t print) {
    const std::size_t mask = m_capacity - 1;
    for (std::size_t index = print & mask;; index = (index + 1) & mask) {
        const Slot slot = slot_at(index);
        if (slot.fingerprint == 0) {
            return Lookup{index, std::nullopt};
        }
        if (slot.fingerprint == print) {
            // Equal fingerprints are only a hint: the logged key decides.
            if (auto value = record_value_if(slot.offset, key)) {
                return Lookup{index, value, slot.offset};
            }
        }
    }
}

StringTable::Slot StringTable::slot_at(std::size_t index) {
    if (!m_slot_file) {
        return m_slots[index];
    }
    const std::size_t start = index - index % k_block_slots;
    for (const Block& block : m_blocks) {
        if (block.valid && block.start == start) {
            return block.slots[index - start];
        }
    }
    if (m_blocks.empty()) {
        m_blocks.resize(k_cached_blocks);
    }
    Block& block = m_blocks[m_next_victim];
    m_next_victim = (m_next_victim + 1) % m_blocks.size();
    block.valid = false; // until the read succeeds
    block.slots.resize(k_block_slots);
    // The capacity is a multiple of the block: a block never runs past the end.
    m_slot_file->read(start * sizeof(Slot), block.slots.data(), k_block_slots * sizeof(Slot));
    block.start = start;
    block.valid = true;
    return block.slots[index - start];
}

void StringTable::set_slot(std::size_t index, const Slot& slot) {
    if (!m_slot_file) {
        m_slots[index] = slot;
        return;
    }
    // The file was allocated when it was made: this write needs no new space.
    if (!m_slot_file->write(index * sizeof(Slot), &slot, sizeof(Slot))) {
        throw io_error("writing imgfetch's temporary file");
    }
    for (Block& block : m_blocks) {
        if (block.valid && index >= block.start && index < block.start + k_block_slots) {
            block.slots[index - block.start] = slot;
        }
    }
}

std::optional<std::uint64_t> StringTable::record_value_if(std::uint64_t offset,
                                                          std::string_view key) {
    std::array<char, k_record_header_bytes> header{};
    m_log.read(offset, header.data(), header.size());
    std::uint32_t length = 0;
    std::memcpy(&length, header.data() + sizeof(std::uint64_t), sizeof(length));
    if (length != key.size()) {
        return std::nullopt; // no need to read the key
    }
    m_scratch.resize(length);
    m_log.read(offset + header.size(), m_scratch.data(), length);
    if (m_scratch != key) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    std::memcpy(&value, header.data(), sizeof(value));
    return value;
}

std::uint64_t StringTable::append_record(std::string_view key, std::uint64_t value) {
    const auto length = static_cast<std::uint32_t>(key.size()); // keys are list lines: < 4 GiB
    std::array<char, k_record_header_bytes> header{};
    std::memcpy(header.data(), &value, sizeof(value));
    std::memcpy(header.data() + sizeof(value), &length, sizeof(length));
    const std::uint64_t offset = m_log.append({header.data(), header.size()});
    m_log.append(key);
    return offset;
}

void StringTable::set_record_value(std::uint64_t offset, std::uint64_t value) {
    m_log.overwrite(offset, {reinterpret_cast<const char*>(&value), sizeof(value)});
}

void StringTable::spill_failed() {
    // Said once: the run goes on, correct, only with more memory.
    spdlog::warn("cannot use a temporary file in '{}' ({}): the list's URLs and names are kept "
                 "in memory from now on",
                 m_limits.spill_dir, error_text(errno));
    m_spill_failed = true;
}

void StringTable::grow() {
    const std::size_t capacity = 2 * m_capacity;
    std::vector<Slot> old_slots;
    std::optional<SpillFile> old_file;
    std::swap(old_slots, m_slots);
    std::swap(old_file, m_slot_file);
    const std::size_t old_capacity = m_capacity;
    m_capacity = capacity;
    for (Block& block : m_blocks) {
        block.valid = false;
    }

    if (capacity > m_limits.memory_slots && !m_spill_failed) {
        // The new index goes to disk; allocated up front, so no later slot write can fail.
        m_slot_file = SpillFile::create(m_limits.spill_dir);
        if (m_slot_file && !m_slot_file->allocate(capacity * sizeof(Slot))) {
            m_slot_file.reset();
        }
        if (!m_slot_file) {
            spill_failed();
        }
    }
    if (!m_slot_file) {
        m_slots.assign(capacity, Slot{});
    }

    // Re-insert every key: its fingerprint alone says where (the keys are distinct).
    const auto reinsert = [this](const Slot& slot) {
        if (slot.fingerprint == 0) {
            return;
        }
        const std::size_t mask = m_capacity - 1;
        std::size_t index = slot.fingerprint & mask;
        while (slot_at(index).fingerprint != 0) {
            index = (index + 1) & mask;
        }
        set_slot(index, slot);
    };
    if (!old_file) {
        for (const Slot& slot : old_slots) {
            reinsert(slot);
        }
        return;
    }
    std::vector<Slot> chunk(std::min<std::size_t>(old_capacity, 4096));
    for (std::size_t start = 0; start < old_capacity; start += chunk.size()) {
        old_file->read(start * sizeof(Slot), chunk.data(), chunk.size() * sizeof(Slot));
        for (const Slot& slot : chunk) {
            reinsert(slot);
        }
    }
}

} // namespace imgfetch
