#include "imgfetch/util/string_table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

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

// --- SpillFile ------------------------------------------------------------------------------

SpillFile::~SpillFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

SpillFile::SpillFile(SpillFile&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

SpillFile& SpillFile::operator=(SpillFile&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

std::optional<SpillFile> SpillFile::create(const std::string& dir) {
    // O_TMPFILE: the file never has a name, so nothing is left behind, even by a crash.
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        // A file system without O_TMPFILE: a named file, unlinked at once.
        std::string path = dir + "/.imgfetch-spill-XXXXXX";
        fd = ::mkostemp(path.data(), O_CLOEXEC);
        if (fd >= 0) {
            ::unlink(path.c_str());
        }
    }
    if (fd < 0) {
        return std::nullopt;
    }
    return SpillFile(fd);
}

void SpillFile::read(std::uint64_t offset, void* data, std::size_t size) const {
    auto* bytes = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t got = ::pread(m_fd, bytes, size, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            if (got == 0) {
                errno = EIO; // the file is shorter than what we wrote: never expected
            }
            throw io_error("reading imgfetch's temporary file");
        }
        bytes += got;
        size -= static_cast<std::size_t>(got);
        offset += static_cast<std::uint64_t>(got);
    }
}

bool SpillFile::write(std::uint64_t offset, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t put = ::pwrite(m_fd, bytes, size, static_cast<off_t>(offset));
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put <= 0) {
            return false;
        }
        bytes += put;
        size -= static_cast<std::size_t>(put);
        offset += static_cast<std::uint64_t>(put);
    }
    return true;
}

bool SpillFile::allocate(std::uint64_t size) {
    // Zeros really written, not posix_fallocate(): on ext4 every first write into a
    // fallocated (unwritten) extent costs a journalled conversion, and the index is written
    // at random, a slot at a time. Sequential zeros cost one pass.
    const std::vector<char> zeros(std::size_t{64} << 10);
    for (std::uint64_t offset = 0; offset < size; offset += zeros.size()) {
        const std::size_t chunk =
            static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - offset));
        if (!write(offset, zeros.data(), chunk)) {
            return false;
        }
    }
    return true;
}

bool SpillFile::resize(std::uint64_t size) {
    return ::ftruncate(m_fd, static_cast<off_t>(size)) == 0;
}

std::string default_spill_dir() {
    const char* dir = std::getenv("TMPDIR");
    return dir != nullptr && *dir != '\0' ? std::string(dir) : std::string("/tmp");
}

// --- SpillLog -------------------------------------------------------------------------------

SpillLog::SpillLog(std::string what, std::string spill_dir, std::size_t buffer_bytes)
    : m_what(std::move(what)), m_spill_dir(std::move(spill_dir)),
      m_buffer_bytes(std::max<std::size_t>(buffer_bytes, 1)) {}

std::uint64_t SpillLog::append(std::string_view bytes) {
    const std::uint64_t offset = size();
    m_buffer.append(bytes);
    if (m_buffer.size() >= m_buffer_bytes) {
        flush();
    }
    return offset;
}

void SpillLog::flush() {
    if (m_memory_only) {
        return; // the buffer keeps growing
    }
    if (!m_file) {
        m_file = SpillFile::create(m_spill_dir);
    }
    if (!m_file || !m_file->write(m_flushed, m_buffer.data(), m_buffer.size())) {
        // Said once: the run goes on, correct, only with more memory. On a failed write the
        // whole buffer stays (m_flushed unchanged), so nothing is lost.
        spdlog::warn("cannot use a temporary file in '{}' ({}): {} are kept in memory from now on",
                     m_spill_dir, std::strerror(errno), m_what);
        m_memory_only = true;
        return;
    }
    m_flushed += m_buffer.size();
    m_buffer.clear(); // keeps its capacity for the next appends
}

void SpillLog::overwrite(std::uint64_t offset, std::string_view bytes) {
    std::size_t done = 0;
    if (offset < m_flushed) {
        done = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), m_flushed - offset));
        // Rewrites bytes the file already has: needs no new space.
        if (!m_file->write(offset, bytes.data(), done)) {
            throw io_error("writing imgfetch's temporary file");
        }
    }
    if (done < bytes.size()) {
        std::memcpy(m_buffer.data() + (offset + done - m_flushed), bytes.data() + done,
                    bytes.size() - done);
    }
}

void SpillLog::read(std::uint64_t offset, void* data, std::size_t size) const {
    auto* out = static_cast<char*>(data);
    std::size_t done = 0;
    if (offset < m_flushed) {
        done = static_cast<std::size_t>(std::min<std::uint64_t>(size, m_flushed - offset));
        m_file->read(offset, out, done);
    }
    if (done < size) {
        std::memcpy(out + done, m_buffer.data() + (offset + done - m_flushed), size - done);
    }
}

void SpillLog::for_each_chunk(const std::function<void(std::string_view)>& chunk) const {
    std::string piece;
    for (std::uint64_t offset = 0; offset < m_flushed; offset += piece.size()) {
        piece.resize(static_cast<std::size_t>(std::min<std::uint64_t>(
            std::max<std::size_t>(m_buffer_bytes, 4096), m_flushed - offset)));
        m_file->read(offset, piece.data(), piece.size());
        chunk(piece);
    }
    if (!m_buffer.empty()) {
        chunk(m_buffer);
    }
}

bool SpillLogReader::read(void* data, std::size_t size) {
    if (m_log.size() - m_offset < size) {
        return false;
    }
    auto* out = static_cast<char*>(data);
    while (size > 0) {
        if (m_offset < m_chunk_start || m_offset >= m_chunk_start + m_chunk.size()) {
            // Refill: 64 KiB at a time, or what is left.
            m_chunk_start = m_offset;
            m_chunk.resize(static_cast<std::size_t>(
                std::min<std::uint64_t>(std::uint64_t{64} << 10, m_log.size() - m_offset)));
            m_log.read(m_offset, m_chunk.data(), m_chunk.size());
        }
        const auto at = static_cast<std::size_t>(m_offset - m_chunk_start);
        const std::size_t n = std::min(size, m_chunk.size() - at);
        std::memcpy(out, m_chunk.data() + at, n);
        out += n;
        size -= n;
        m_offset += n;
    }
    return true;
}

// --- StringTable ----------------------------------------------------------------------------

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
    char header[k_record_header_bytes];
    m_log.read(offset, header, sizeof(header));
    std::uint32_t length = 0;
    std::memcpy(&length, header + sizeof(std::uint64_t), sizeof(length));
    if (length != key.size()) {
        return std::nullopt; // no need to read the key
    }
    m_scratch.resize(length);
    m_log.read(offset + sizeof(header), m_scratch.data(), length);
    if (m_scratch != key) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    std::memcpy(&value, header, sizeof(value));
    return value;
}

std::uint64_t StringTable::append_record(std::string_view key, std::uint64_t value) {
    const auto length = static_cast<std::uint32_t>(key.size()); // keys are list lines: < 4 GiB
    char header[k_record_header_bytes];
    std::memcpy(header, &value, sizeof(value));
    std::memcpy(header + sizeof(value), &length, sizeof(length));
    const std::uint64_t offset = m_log.append({header, sizeof(header)});
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
                 m_limits.spill_dir, std::strerror(errno));
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
