#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imgfetch/image/image_validator.hpp"

namespace imgfetch::detail {

using Bytes = std::span<const std::uint8_t>;

// Pure: integers from the first bytes of `b` (which must hold enough of them).
inline std::uint32_t be16(Bytes b) {
    return static_cast<std::uint32_t>(b[0]) << 8U | b[1];
}
inline std::uint32_t le16(Bytes b) {
    return static_cast<std::uint32_t>(b[1]) << 8U | b[0];
}
inline std::uint32_t be32(Bytes b) {
    return be16(b) << 16U | be16(b.subspan(2));
}
inline std::uint32_t le32(Bytes b) {
    return le16(b.subspan(2)) << 16U | le16(b);
}
inline std::uint64_t be64(Bytes b) {
    return static_cast<std::uint64_t>(be32(b)) << 32U | be32(b.subspan(4));
}

// The pull parser the binary validators are built on. A format says what it wants next as a
// Step: read(n) collects n <= k_max_read bytes into a fixed buffer and hands them over; skip(n)
// passes n bytes by (showing them to observe_skipped(), e.g. for a CRC); scan_to_marker() passes
// JPEG entropy-coded data up to the next marker (0xFF then a byte other than 0x00, 0xFF or
// RST0-7); end() says the structure is complete (later bytes are counted, not parsed); a failed
// check returns corrupt(reason). Memory: the k_max_read buffer and the format's own fields;
// nothing grows with the body. Not thread-safe (one feeding thread).
class ByteWalker : public ImageValidator {
public:
    void feed(std::string_view chunk) final;
    ImageCheck finish() final;
    const ImageFacts& facts() const final { return m_facts; }

protected:
    static constexpr std::size_t k_max_read = 64;
    enum class Kind { read, skip, scan_to_marker, end, fail };
    struct Step {
        Kind kind;
        std::uint64_t count;
    };
    // A verdict other than ok, with its reason.
    struct Problem {
        ImageVerdict verdict;
        std::string reason;
    };

    explicit ByteWalker(ImageFormat format) { m_facts.format = format; }

    static Step read(std::size_t count) { return {Kind::read, count}; }
    static Step skip(std::uint64_t count) { return {Kind::skip, count}; }
    static Step scan_to_marker() { return {Kind::scan_to_marker, 0}; }
    static Step end() { return {Kind::end, 0}; }
    Step corrupt(std::string reason);

    // The first step, asked once before the first byte.
    virtual Step start() = 0;
    // The bytes a read() asked for; nothing after a skip(); the marker byte a scan found.
    virtual Step next(Bytes bytes) = 0;
    virtual void observe_skipped(Bytes /*bytes*/) {}
    // What is missing when the body ends before end(), e.g. "no IEND chunk".
    virtual std::string missing() const = 0;
    // The verdict once the body has ended (`length` bytes in all; `ended`: end() was reached).
    // The default: truncated with missing() unless ended. Formats whose header states the
    // body's size compare it here.
    virtual std::optional<Problem> conclude(std::uint64_t length, bool ended) const;

    // Offset in the body of the next byte to arrive (during next(): just after `bytes`).
    std::uint64_t position() const { return m_position; }
    ImageFacts m_facts;

private:
    void begin();
    void settle();
    std::size_t take_read(const std::uint8_t* data, std::size_t size);
    std::size_t take_skip(const std::uint8_t* data, std::size_t size);
    std::size_t take_scan(const std::uint8_t* data, std::size_t size);

    bool m_begun = false;
    Step m_step{Kind::read, 0};
    std::array<std::uint8_t, k_max_read> m_buffer{};
    std::size_t m_have = 0;       // bytes of the current read() collected so far
    bool m_saw_ff = false;        // scan_to_marker(): the last byte was 0xFF
    std::uint64_t m_position = 0; // bytes given to the structure
    std::uint64_t m_length = 0;   // bytes fed in all
    std::string m_reason;         // why corrupt()
};

} // namespace imgfetch::detail
