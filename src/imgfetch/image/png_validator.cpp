// PNG: the signature, IHDR first (13 bytes, non-zero size), every chunk's CRC-32 (zlib's crc32
// over type and data), at least one IDAT, and IEND last. An APNG's acTL gives the frame count.
// Holds: the current chunk's type, length and running CRC.
#include <zlib.h>

#include <array>
#include <cstring>
#include <string>

#include "imgfetch/image/byte_walker.hpp"
#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

using detail::be32;
using detail::Bytes;

constexpr std::array<std::uint8_t, 8> k_signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

class PngValidator final : public detail::ByteWalker {
public:
    PngValidator() : ByteWalker(ImageFormat::png) {}

private:
    enum class State { signature, chunk_header, chunk_data, crc };

    Step start() override { return read(k_signature.size()); }

    Step next(Bytes bytes) override {
        switch (m_state) {
        case State::signature:
            return after_signature(bytes);
        case State::chunk_header:
            return after_header(bytes);
        case State::chunk_data:
            return after_data(bytes);
        case State::crc:
            return after_crc(bytes);
        }
        return corrupt("internal state");
    }

    void observe_skipped(Bytes bytes) override { add_to_crc(bytes); }

    std::string missing() const override {
        if (m_chunks == 0) {
            return m_state == State::signature ? "no PNG signature" : "no IHDR chunk";
        }
        return "no IEND chunk";
    }

    Step after_signature(Bytes bytes) {
        if (std::memcmp(bytes.data(), k_signature.data(), k_signature.size()) != 0) {
            return corrupt("bad signature");
        }
        m_state = State::chunk_header;
        return read(8);
    }

    Step after_header(Bytes bytes) {
        m_length = be32(bytes);
        std::memcpy(m_type.data(), bytes.data() + 4, 4);
        for (const char c : m_type) {
            const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            if (!letter) {
                return corrupt("chunk type is not four letters");
            }
        }
        if (m_length > 0x7FFFFFFFU) {
            return corrupt("chunk length over 2^31-1 in " + type());
        }
        const bool ihdr = type() == "IHDR";
        if ((m_chunks == 0) != ihdr) {
            return corrupt(m_chunks == 0 ? "first chunk is " + type() + ", not IHDR"
                                         : "a second IHDR chunk");
        }
        if ((ihdr && m_length != 13) || (type() == "acTL" && m_length != 8)) {
            return corrupt(type() + " chunk has length " + std::to_string(m_length));
        }
        if (type() == "IEND" && m_idat_chunks == 0) {
            return corrupt("IEND before any IDAT chunk");
        }
        m_idat_chunks += type() == "IDAT" ? 1 : 0;
        ++m_chunks;
        m_crc = crc32(0L, reinterpret_cast<const Bytef*>(m_type.data()), 4);
        m_state = State::chunk_data;
        if (ihdr || type() == "acTL") {
            return read(m_length);
        }
        return skip(m_length);
    }

    Step after_data(Bytes bytes) {
        add_to_crc(bytes);
        if (type() == "IHDR") {
            m_facts.width = be32(bytes);
            m_facts.height = be32(bytes.subspan(4));
            if (m_facts.width == 0 || m_facts.height == 0 || m_facts.width > 0x7FFFFFFFU ||
                m_facts.height > 0x7FFFFFFFU) {
                return corrupt("IHDR size " + std::to_string(m_facts.width) + "x" +
                               std::to_string(m_facts.height));
            }
        } else if (type() == "acTL") {
            m_facts.frames = be32(bytes);
            if (m_facts.frames == 0) {
                return corrupt("acTL with 0 frames");
            }
        }
        m_state = State::crc;
        return read(4);
    }

    Step after_crc(Bytes bytes) {
        if (be32(bytes) != m_crc) {
            return corrupt("CRC mismatch in " + type());
        }
        if (type() == "IEND") {
            return end();
        }
        m_state = State::chunk_header;
        return read(8);
    }

    void add_to_crc(Bytes bytes) {
        // zlib's crc32 takes a uInt length (pieces are far below it), and answers the initial
        // value, not `m_crc`, for a null buffer: an empty piece must not reach it.
        if (bytes.empty()) {
            return;
        }
        m_crc = crc32(m_crc, bytes.data(), static_cast<uInt>(bytes.size()));
    }

    std::string type() const { return {m_type.data(), m_type.size()}; }

    State m_state = State::signature;
    std::array<char, 4> m_type{};
    std::uint32_t m_length = 0;
    uLong m_crc = 0;
    std::uint64_t m_chunks = 0;
    std::uint64_t m_idat_chunks = 0;
};

} // namespace

std::unique_ptr<ImageValidator> make_png_validator() {
    return std::make_unique<PngValidator>();
}

} // namespace imgfetch
