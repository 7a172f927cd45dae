// BMP: the "BM" file header, a known info header (12 bytes, or 40 and more), plausible planes,
// bit depth and pixel offset, the file-size field (the body must hold that many bytes), and for
// uncompressed rows the pixel array (stride x height) inside it. Holds: the header's numbers.
// What it cannot see: a flipped bit in the pixel array or the palette.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "imgfetch/image/byte_walker.hpp"
#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

using detail::Bytes;
using detail::le16;
using detail::le32;

class BmpValidator final : public detail::ByteWalker {
public:
    BmpValidator() : ByteWalker(ImageFormat::bmp) {}

private:
    Step start() override { return read(18); }

    Step next(Bytes bytes) override {
        if (!m_have_file_header) {
            m_have_file_header = true;
            return on_file_header(bytes);
        }
        return on_info_header(bytes);
    }

    std::string missing() const override { return "no complete header"; }

    std::optional<Problem> conclude(std::uint64_t length, bool ended) const override {
        if (!ended) {
            return Problem{ImageVerdict::truncated, missing()};
        }
        if (length < m_required) {
            return Problem{ImageVerdict::truncated,
                           (m_file_size != 0 ? "file size field says " : "pixel data needs ") +
                               std::to_string(m_required) + " bytes, the body has " +
                               std::to_string(length)};
        }
        return std::nullopt;
    }

    Step on_file_header(Bytes bytes) {
        if (bytes[0] != 'B' || bytes[1] != 'M') {
            return corrupt("no BM signature");
        }
        m_file_size = le32(bytes.subspan(2));
        m_pixel_offset = le32(bytes.subspan(10));
        m_info_size = le32(bytes.subspan(14));
        if (m_info_size != 12 && (m_info_size < 40 || m_info_size > 124)) {
            return corrupt("info header size " + std::to_string(m_info_size));
        }
        return read(m_info_size == 12 ? 8 : 16);
    }

    Step on_info_header(Bytes bytes) {
        const bool core = m_info_size == 12;
        const std::int64_t width = core ? le16(bytes) : static_cast<std::int32_t>(le32(bytes));
        const std::int64_t height =
            core ? le16(bytes.subspan(2)) : static_cast<std::int32_t>(le32(bytes.subspan(4)));
        const std::uint32_t planes = le16(bytes.subspan(core ? 4 : 8));
        const std::uint32_t depth = le16(bytes.subspan(core ? 6 : 10));
        const std::uint32_t compression = core ? 0 : le32(bytes.subspan(12));
        if (width <= 0 || height == 0 || planes != 1) {
            return corrupt("header says " + std::to_string(width) + "x" + std::to_string(height) +
                           " with " + std::to_string(planes) + " planes");
        }
        if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16 && depth != 24 &&
            depth != 32 && depth != 64) {
            return corrupt(std::to_string(depth) + " bits per pixel");
        }
        m_facts.width = static_cast<std::uint32_t>(width);
        m_facts.height = static_cast<std::uint32_t>(std::llabs(height));
        if (m_pixel_offset < 14 + m_info_size ||
            (m_file_size != 0 && m_pixel_offset > m_file_size)) {
            return corrupt("pixel data offset " + std::to_string(m_pixel_offset));
        }
        m_required = m_file_size;
        const bool uncompressed = compression == 0 || compression == 3 || compression == 6;
        if (uncompressed) {
            const std::uint64_t stride = (m_facts.width * std::uint64_t{depth} + 31) / 32 * 4;
            const std::uint64_t pixel_end = m_pixel_offset + stride * m_facts.height;
            if (m_file_size != 0 && pixel_end > m_file_size) {
                return corrupt("pixel data ends at " + std::to_string(pixel_end) +
                               ", past the file size " + std::to_string(m_file_size));
            }
            m_required = std::max<std::uint64_t>(m_required, pixel_end);
        }
        return end();
    }

    bool m_have_file_header = false;
    std::uint32_t m_file_size = 0;
    std::uint32_t m_pixel_offset = 0;
    std::uint32_t m_info_size = 0;
    std::uint64_t m_required = 0; // bytes the body must hold
};

} // namespace

std::unique_ptr<ImageValidator> make_bmp_validator() {
    return std::make_unique<BmpValidator>();
}

} // namespace imgfetch
