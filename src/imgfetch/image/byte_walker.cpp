#include "imgfetch/image/byte_walker.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace imgfetch::detail {

ByteWalker::Step ByteWalker::corrupt(std::string reason) {
    m_reason = std::move(reason);
    return {Kind::fail, 0};
}

std::optional<ByteWalker::Problem> ByteWalker::conclude(std::uint64_t /*length*/,
                                                        bool ended) const {
    if (ended) {
        return std::nullopt;
    }
    return Problem{ImageVerdict::truncated, missing()};
}

void ByteWalker::begin() {
    if (!m_begun) {
        m_begun = true;
        m_step = start();
        settle();
    }
}

// Empty reads and skips complete at once; a format may chain several.
void ByteWalker::settle() {
    while ((m_step.kind == Kind::read || m_step.kind == Kind::skip) && m_step.count == 0) {
        m_step = next({});
    }
    if (m_step.kind == Kind::read && m_step.count > k_max_read) {
        throw std::logic_error("ByteWalker: read() larger than k_max_read");
    }
}

std::size_t ByteWalker::take_read(const std::uint8_t* data, std::size_t size) {
    const std::size_t wanted = static_cast<std::size_t>(m_step.count) - m_have;
    const std::size_t taken = std::min(wanted, size);
    std::memcpy(m_buffer.data() + m_have, data, taken);
    m_have += taken;
    m_position += taken;
    if (m_have == m_step.count) {
        const std::size_t count = m_have;
        m_have = 0;
        m_step = next(Bytes(m_buffer.data(), count));
        settle();
    }
    return taken;
}

std::size_t ByteWalker::take_skip(const std::uint8_t* data, std::size_t size) {
    const auto taken = static_cast<std::size_t>(std::min<std::uint64_t>(m_step.count, size));
    observe_skipped(Bytes(data, taken));
    m_position += taken;
    m_step.count -= taken;
    if (m_step.count == 0) {
        m_step = next({});
        settle();
    }
    return taken;
}

std::size_t ByteWalker::take_scan(const std::uint8_t* data, std::size_t size) {
    if (!m_saw_ff) {
        const void* ff = std::memchr(data, 0xFF, size);
        const std::size_t taken =
            ff == nullptr
                ? size
                : static_cast<std::size_t>(static_cast<const std::uint8_t*>(ff) - data) + 1;
        m_saw_ff = ff != nullptr;
        m_position += taken;
        return taken;
    }
    const std::uint8_t byte = data[0];
    m_position += 1;
    if (byte == 0xFF) {
        return 1; // fill byte: still before a marker
    }
    m_saw_ff = false;
    if (byte == 0x00 || (byte >= 0xD0 && byte <= 0xD7)) {
        return 1; // stuffed 0xFF data byte or a restart marker: entropy data goes on
    }
    m_buffer[0] = byte;
    m_step = next(Bytes(m_buffer.data(), 1));
    settle();
    return 1;
}

void ByteWalker::feed(std::string_view chunk) {
    begin();
    const auto* data = reinterpret_cast<const std::uint8_t*>(chunk.data());
    std::size_t size = chunk.size();
    m_length += size;
    while (size > 0) {
        std::size_t taken = 0;
        switch (m_step.kind) {
        case Kind::read:
            taken = take_read(data, size);
            break;
        case Kind::skip:
            taken = take_skip(data, size);
            break;
        case Kind::scan_to_marker:
            taken = take_scan(data, size);
            break;
        case Kind::end:
        case Kind::fail:
            return; // the rest is only counted
        }
        data += taken;
        size -= taken;
    }
}

ImageCheck ByteWalker::finish() {
    begin();
    ImageCheck check;
    check.facts = m_facts;
    if (m_step.kind == Kind::fail) {
        check.verdict = ImageVerdict::corrupt;
        check.reason = m_reason;
        return check;
    }
    if (auto problem = conclude(m_length, m_step.kind == Kind::end)) {
        check.verdict = problem->verdict;
        check.reason = std::move(problem->reason);
    }
    return check;
}

} // namespace imgfetch::detail
