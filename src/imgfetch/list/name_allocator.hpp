#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "imgfetch/util/string_table.hpp"

namespace imgfetch {

// A name reserved for one URL: either complete, or a stem that will get an image extension
// from the response (".jpg", ".png", ...).
struct ReservedName {
    std::string name;
    bool needs_extension = false;
};

// Hands out unique names in list order: "photo.jpg", "photo-2.jpg", ... A stem reserved
// for a name without an image extension blocks every "stem.<ext>", so names stay unique
// once the extension is added. Not thread-safe: main thread only, which keeps names
// deterministic across runs.
//
// Its memory is bounded, whatever the list's length: the names live in a StringTable, which
// moves them to a temporary file past a few tens of thousands (see string_table.hpp).
class NameAllocator {
public:
    NameAllocator() = default;
    explicit NameAllocator(StringTable::Limits limits,
                           StringTable::Hasher hasher = &StringTable::default_hash)
        : m_taken(std::move(limits), hasher) {}

    ReservedName reserve(std::string_view wanted);

    // Heap bytes held (see StringTable::memory_bytes()).
    std::size_t memory_bytes() const { return m_taken.memory_bytes() + m_key.capacity(); }

private:
    // What a key of m_taken stands for: its first byte, before the name or stem.
    enum Kind : char {
        full_name = 'n',      // a name as it will be on disk
        full_name_stem = 's', // the stem of such a name
        open_stem = 'o',      // a stem still waiting for an extension
        next_suffix = 'x',    // wanted -> the suffix to try next (value)
    };
    const std::string& key(Kind kind, std::string_view name);
    bool is_free(const std::string& name, bool needs_extension);
    void take(const std::string& name, bool needs_extension);

    // Every kind in one table: one index, one log. next_suffix keys exist only for names that
    // have collided. Names are only ever added, so a suffix found taken stays taken; resuming
    // at next_suffix keeps a list of a million "index" names linear.
    StringTable m_taken;
    std::string m_key; // the last key built, reused
};

// A NameAllocator shared by the main thread (list names, in list order) and workers (names
// from Content-Disposition, at commit time). Thread-safe: one mutex guards the allocator.
class NameRegistry {
public:
    NameRegistry() = default;
    explicit NameRegistry(StringTable::Limits limits) : m_names(std::move(limits)) {}

    ReservedName reserve(std::string_view wanted) {
        std::lock_guard lock(m_mutex);
        return m_names.reserve(wanted);
    }

    std::size_t memory_bytes() const {
        std::lock_guard lock(m_mutex);
        return m_names.memory_bytes();
    }

private:
    mutable std::mutex m_mutex; // guards m_names
    NameAllocator m_names;
};

} // namespace imgfetch
