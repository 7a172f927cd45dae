#include "imgfetch/util/spill_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

#include "imgfetch/util/error_text.hpp"

namespace imgfetch {

namespace {

std::system_error io_error(const char* what) {
    return std::system_error(errno, std::generic_category(), what);
}

} // namespace

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
                     m_spill_dir, error_text(errno), m_what);
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

} // namespace imgfetch
