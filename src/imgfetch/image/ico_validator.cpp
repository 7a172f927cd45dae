// ICO/CUR: the 6-byte header (reserved 0, type 1 or 2, at least one image), then every directory
// entry: its image's offset past the directory and its end inside the body (checked when the body
// ends). The size reported is the largest entry's (0 means 256). Holds: the entry count, the
// largest end and the largest size, whatever the count. What it cannot see: damage inside the
// PNG or BMP images the directory points at.
#include <algorithm>
#include <string>

#include "imgfetch/image/byte_walker.hpp"
#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

using detail::Bytes;
using detail::le16;
using detail::le32;

class IcoValidator final : public detail::ByteWalker {
public:
    IcoValidator() : ByteWalker(ImageFormat::ico) {}

private:
    Step start() override { return read(6); }

    Step next(Bytes bytes) override { return m_count == 0 ? on_header(bytes) : on_entry(bytes); }

    std::string missing() const override {
        return m_count == 0 ? "no header" : "directory ends after entry " + std::to_string(m_seen);
    }

    std::optional<Problem> conclude(std::uint64_t length, bool ended) const override {
        if (!ended) {
            return Problem{ImageVerdict::truncated, missing()};
        }
        if (length < m_required) {
            return Problem{ImageVerdict::truncated, "an image ends at " +
                                                        std::to_string(m_required) +
                                                        ", the body has " + std::to_string(length)};
        }
        return std::nullopt;
    }

    Step on_header(Bytes bytes) {
        const std::uint32_t type = le16(bytes.subspan(2));
        m_count = le16(bytes.subspan(4));
        if (le16(bytes) != 0 || (type != 1 && type != 2)) {
            return corrupt("bad header");
        }
        if (m_count == 0) {
            return corrupt("no images in the directory");
        }
        return read(16);
    }

    Step on_entry(Bytes bytes) {
        ++m_seen;
        const std::uint32_t width = bytes[0] == 0 ? 256 : bytes[0];
        const std::uint32_t height = bytes[1] == 0 ? 256 : bytes[1];
        const std::uint64_t size = le32(bytes.subspan(8));
        const std::uint64_t offset = le32(bytes.subspan(12));
        if (size == 0 || offset < 6 + 16ULL * m_count) {
            return corrupt("entry " + std::to_string(m_seen) + " points at offset " +
                           std::to_string(offset) + " with size " + std::to_string(size));
        }
        m_required = std::max(m_required, offset + size);
        if (std::uint64_t{width} * height > std::uint64_t{m_facts.width} * m_facts.height) {
            m_facts.width = width;
            m_facts.height = height;
        }
        return m_seen == m_count ? end() : read(16);
    }

    std::uint32_t m_count = 0;
    std::uint32_t m_seen = 0;
    std::uint64_t m_required = 0; // the end of the farthest image
};

} // namespace

std::unique_ptr<ImageValidator> make_ico_validator() {
    return std::make_unique<IcoValidator>();
}

} // namespace imgfetch
