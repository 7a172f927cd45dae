// WebP: the RIFF header, the RIFF size equal to the body's length, a first chunk VP8, VP8L or
// VP8X (whose header gives the size), every chunk inside the RIFF size, and image data (VP8,
// VP8L or ANMF frames). frames counts ANMF chunks. Holds: the RIFF end and the current chunk.
// What it cannot see: a flipped bit inside the VP8/VP8L bitstream.
#include <cstring>
#include <string>

#include "imgfetch/image/byte_walker.hpp"
#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

using detail::Bytes;
using detail::le16;
using detail::le32;

std::uint32_t le24(Bytes b) {
    return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8U |
           static_cast<std::uint32_t>(b[2]) << 16U;
}

class WebpValidator final : public detail::ByteWalker {
public:
    WebpValidator() : ByteWalker(ImageFormat::webp) {}

private:
    enum class State { riff, chunk_header, chunk_head, chunk_rest };

    Step start() override { return read(12); }

    Step next(Bytes bytes) override {
        switch (m_state) {
        case State::riff:
            return on_riff(bytes);
        case State::chunk_header:
            return on_chunk_header(bytes);
        case State::chunk_head:
            return on_chunk_head(bytes);
        case State::chunk_rest:
            return after_chunk();
        }
        return corrupt("internal state");
    }

    std::string missing() const override {
        if (m_state == State::riff) {
            return "no RIFF header";
        }
        return "RIFF size says " + std::to_string(m_riff_end) + " bytes";
    }

    std::optional<Problem> conclude(std::uint64_t length, bool ended) const override {
        if (!ended) {
            return Problem{ImageVerdict::truncated,
                           m_state == State::riff
                               ? missing()
                               : missing() + ", the body has " + std::to_string(length)};
        }
        if (length != m_riff_end) {
            return Problem{ImageVerdict::corrupt,
                           std::to_string(length - m_riff_end) + " bytes after the RIFF size"};
        }
        return std::nullopt;
    }

    Step on_riff(Bytes bytes) {
        if (std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
            std::memcmp(bytes.data() + 8, "WEBP", 4) != 0) {
            return corrupt("no RIFF/WEBP header");
        }
        m_riff_end = static_cast<std::uint64_t>(le32(bytes.subspan(4))) + 8;
        if (m_riff_end < 12 + 8) {
            return corrupt("RIFF size " + std::to_string(m_riff_end - 8));
        }
        return chunk_header();
    }

    Step chunk_header() {
        m_state = State::chunk_header;
        return read(8);
    }

    Step on_chunk_header(Bytes bytes) {
        m_fourcc.assign(reinterpret_cast<const char*>(bytes.data()), 4);
        m_size = le32(bytes.subspan(4));
        const std::uint64_t padded = m_size + (m_size & 1U);
        if (position() + padded > m_riff_end) {
            return corrupt("chunk " + m_fourcc + " overruns the RIFF size");
        }
        const bool image = m_fourcc == "VP8 " || m_fourcc == "VP8L";
        if (m_chunks++ == 0 && !image && m_fourcc != "VP8X") {
            return corrupt("first chunk is " + m_fourcc + ", not VP8, VP8L or VP8X");
        }
        m_image_chunks += image || m_fourcc == "ANMF" ? 1 : 0;
        m_state = State::chunk_head;
        if (m_fourcc == "ANMF") {
            m_facts.frames = static_cast<std::uint32_t>(++m_frames);
        }
        const std::uint32_t wanted = m_fourcc == "VP8 "   ? 10
                                     : m_fourcc == "VP8L" ? 5
                                     : m_fourcc == "VP8X" ? 10
                                                          : 0;
        if (m_size < wanted) {
            return corrupt("chunk " + m_fourcc + " too short");
        }
        m_head = wanted;
        return read(wanted);
    }

    Step on_chunk_head(Bytes bytes) {
        if (m_chunks == 1 && !bytes.empty()) {
            if (auto bad = read_size(bytes)) {
                return corrupt(*bad);
            }
        }
        m_state = State::chunk_rest;
        return skip(m_size + (m_size & 1U) - m_head);
    }

    // The canvas size from the first chunk's header, or what is wrong with it.
    std::optional<std::string> read_size(Bytes bytes) {
        if (m_fourcc == "VP8 ") {
            if (bytes[3] != 0x9D || bytes[4] != 0x01 || bytes[5] != 0x2A) {
                return "no VP8 start code";
            }
            m_facts.width = le16(bytes.subspan(6)) & 0x3FFFU;
            m_facts.height = le16(bytes.subspan(8)) & 0x3FFFU;
        } else if (m_fourcc == "VP8L") {
            if (bytes[0] != 0x2F) {
                return "no VP8L signature";
            }
            const std::uint32_t bits = le32(bytes.subspan(1));
            m_facts.width = (bits & 0x3FFFU) + 1;
            m_facts.height = ((bits >> 14U) & 0x3FFFU) + 1;
        } else {
            m_facts.width = le24(bytes.subspan(4)) + 1;
            m_facts.height = le24(bytes.subspan(7)) + 1;
        }
        return std::nullopt;
    }

    Step after_chunk() {
        if (position() < m_riff_end) {
            return chunk_header();
        }
        if (m_image_chunks == 0) {
            return corrupt("no image data (VP8, VP8L or ANMF chunk)");
        }
        return end();
    }

    State m_state = State::riff;
    std::uint64_t m_riff_end = 0;
    std::string m_fourcc;
    std::uint32_t m_size = 0;
    std::uint32_t m_head = 0; // bytes of the chunk read as its header
    std::uint64_t m_chunks = 0;
    std::uint64_t m_image_chunks = 0;
    std::uint64_t m_frames = 0;
};

} // namespace

std::unique_ptr<ImageValidator> make_webp_validator() {
    return std::make_unique<WebpValidator>();
}

} // namespace imgfetch
