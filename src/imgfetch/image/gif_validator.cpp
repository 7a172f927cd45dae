// GIF: the header (GIF87a/GIF89a), the logical screen descriptor and its colour table, then the
// block walk (image descriptors with their colour tables and LZW data sub-blocks, extensions
// with their sub-blocks) up to the 0x3B trailer. frames counts the image descriptors. Holds: the
// state and the count. What it cannot see: a flipped bit inside LZW data or a colour table.
#include <cstring>
#include <string>
#include <string_view>

#include "imgfetch/image/byte_walker.hpp"
#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

using detail::Bytes;
using detail::le16;

std::uint64_t colour_table_bytes(std::uint8_t flags) {
    return (flags & 0x80U) != 0 ? 3ULL << ((flags & 0x07U) + 1U) : 0;
}

class GifValidator final : public detail::ByteWalker {
public:
    GifValidator() : ByteWalker(ImageFormat::gif) {}

private:
    enum class State {
        header,
        screen_table,
        introducer,
        descriptor,
        local_table,
        code_size,
        label,
        block_size,
        block_data
    };

    Step start() override { return read(13); }

    Step next(Bytes bytes) override {
        switch (m_state) {
        case State::header:
            return on_header(bytes);
        case State::screen_table:
            return introducer();
        case State::introducer:
            return on_introducer(bytes[0]);
        case State::descriptor:
            return on_descriptor(bytes);
        case State::local_table:
            m_state = State::code_size;
            return read(1);
        case State::code_size:
            if (bytes[0] < 1 || bytes[0] > 11) {
                return corrupt("LZW code size " + std::to_string(bytes[0]));
            }
            return sub_block();
        case State::label:
            return sub_block();
        case State::block_size:
            if (bytes[0] == 0) {
                return introducer();
            }
            m_state = State::block_data;
            return skip(bytes[0]);
        case State::block_data:
            return sub_block();
        }
        return corrupt("internal state");
    }

    std::string missing() const override {
        return m_state == State::header ? "no logical screen descriptor" : "no trailer (0x3B)";
    }

    Step on_header(Bytes bytes) {
        if (std::memcmp(bytes.data(), "GIF87a", 6) != 0 &&
            std::memcmp(bytes.data(), "GIF89a", 6) != 0) {
            return corrupt("bad signature");
        }
        m_facts.width = le16(bytes.subspan(6));
        m_facts.height = le16(bytes.subspan(8));
        m_state = State::screen_table;
        return skip(colour_table_bytes(bytes[10]));
    }

    Step introducer() {
        m_state = State::introducer;
        return read(1);
    }

    Step on_introducer(std::uint8_t byte) {
        switch (byte) {
        case 0x2C:
            m_state = State::descriptor;
            return read(9);
        case 0x21:
            m_state = State::label;
            return read(1);
        case 0x3B:
            return m_images == 0 ? corrupt("trailer before any image") : end();
        default:
            return corrupt("unknown block 0x" + to_hex(byte) + " at offset " +
                           std::to_string(position() - 1));
        }
    }

    Step on_descriptor(Bytes bytes) {
        ++m_images;
        m_facts.frames = static_cast<std::uint32_t>(m_images);
        if (le16(bytes.subspan(4)) == 0 || le16(bytes.subspan(6)) == 0) {
            return corrupt("image " + std::to_string(m_images) + " has size 0");
        }
        m_state = State::local_table;
        return skip(colour_table_bytes(bytes[8]));
    }

    Step sub_block() {
        m_state = State::block_size;
        return read(1);
    }

    static std::string to_hex(std::uint8_t byte) {
        constexpr std::string_view k_digits = "0123456789ABCDEF";
        return {k_digits[byte >> 4U], k_digits[byte & 0x0FU]};
    }

    State m_state = State::header;
    std::uint64_t m_images = 0;
};

} // namespace

std::unique_ptr<ImageValidator> make_gif_validator() {
    return std::make_unique<GifValidator>();
}

} // namespace imgfetch
