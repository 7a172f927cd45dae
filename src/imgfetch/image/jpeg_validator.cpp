// JPEG: SOI, then the marker-segment walk (every segment's length), a frame header (SOFn) before
// the first SOS, at least one SOS, its entropy-coded data passed by up to the next marker, and
// EOI. Holds: the state and two flags. What it cannot see: a flipped bit inside entropy-coded
// data (that needs a decode), and bytes after EOI (ignored, as decoders do).
#include <array>
#include <cstdio>
#include <string>

#include "imgfetch/image/byte_walker.hpp"
#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

using detail::be16;
using detail::Bytes;

constexpr std::uint8_t k_soi = 0xD8;
constexpr std::uint8_t k_eoi = 0xD9;
constexpr std::uint8_t k_sos = 0xDA;

bool is_frame_header(std::uint8_t marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

std::string hex(std::uint8_t marker) {
    std::array<char, 8> text{};
    std::snprintf(text.data(), text.size(), "0x%02X", marker);
    return text.data();
}

class JpegValidator final : public detail::ByteWalker {
public:
    JpegValidator() : ByteWalker(ImageFormat::jpeg) {}

private:
    enum class State { soi, prefix, marker, length, frame_header, after_segment };

    Step start() override { return read(2); }

    Step next(Bytes bytes) override {
        switch (m_state) {
        case State::soi:
            if (bytes[0] != 0xFF || bytes[1] != k_soi) {
                return corrupt("no SOI marker");
            }
            return expect_marker();
        case State::prefix:
            if (bytes[0] != 0xFF) {
                return corrupt("no marker at offset " + std::to_string(position() - 1));
            }
            m_state = State::marker;
            return read(1);
        case State::marker:
            return on_marker(bytes[0]);
        case State::length:
            return on_length(be16(bytes));
        case State::frame_header:
            return on_frame_header(bytes);
        case State::after_segment:
            return after_segment();
        }
        return corrupt("internal state");
    }

    std::string missing() const override {
        return m_scans == 0 ? "no SOS segment" : "no EOI marker";
    }

    Step expect_marker() {
        m_state = State::prefix;
        return read(1);
    }

    Step on_marker(std::uint8_t marker) {
        m_marker = marker;
        if (marker == 0xFF) {
            return read(1); // fill bytes before a marker
        }
        if (marker == k_soi) {
            return corrupt("a second SOI marker");
        }
        if (marker == k_eoi) {
            return m_scans == 0 ? corrupt("EOI before any SOS") : end();
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            return expect_marker(); // standalone markers: TEM, RST0-7
        }
        if (marker == 0x00) {
            return corrupt("invalid marker 0x00 at offset " + std::to_string(position() - 1));
        }
        m_state = State::length;
        return read(2);
    }

    Step on_length(std::uint32_t length) {
        if (length < 2) {
            return corrupt("segment " + hex(m_marker) + " has length " + std::to_string(length));
        }
        m_rest = length - 2;
        if (is_frame_header(m_marker)) {
            if (m_rest < 6) {
                return corrupt("frame header too short");
            }
            m_state = State::frame_header;
            return read(5);
        }
        if (m_marker == k_sos && !m_frame) {
            return corrupt("SOS before a frame header");
        }
        m_state = State::after_segment;
        return skip(m_rest);
    }

    Step on_frame_header(Bytes bytes) {
        if (m_frame) {
            return corrupt("a second frame header");
        }
        m_frame = true;
        m_facts.height = be16(bytes.subspan(1)); // 0: set later by a DNL segment
        m_facts.width = be16(bytes.subspan(3));
        if (m_facts.width == 0) {
            return corrupt("frame header with width 0");
        }
        m_marker = 0xC0; // any non-SOS marker: the rest of the segment is skipped
        m_state = State::after_segment;
        return skip(m_rest - 5);
    }

    Step after_segment() {
        if (m_marker != k_sos) {
            return expect_marker();
        }
        ++m_scans;
        m_state = State::marker; // the scan stops just after the 0xFF of the next marker
        return scan_to_marker();
    }

    State m_state = State::soi;
    std::uint8_t m_marker = 0;
    std::uint32_t m_rest = 0; // bytes of the current segment after its length field
    bool m_frame = false;
    std::uint64_t m_scans = 0;
};

} // namespace

std::unique_ptr<ImageValidator> make_jpeg_validator() {
    return std::make_unique<JpegValidator>();
}

} // namespace imgfetch
