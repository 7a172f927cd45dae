#include "imgfetch/image/structure_check.hpp"

#include <algorithm>
#include <cstring>

#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

struct Signature {
    std::string_view bytes;
    std::size_t at;
    ImageFormat format;
};

using namespace std::string_view_literals;

// Fixed signatures, at their offsets. ISOBMFF files are told apart by their ftyp brands.
constexpr std::array<Signature, 10> k_signatures{{
    {"\xFF\xD8\xFF"sv, 0, ImageFormat::jpeg},
    {"\x89PNG\r\n\x1A\n"sv, 0, ImageFormat::png},
    {"GIF87a"sv, 0, ImageFormat::gif},
    {"GIF89a"sv, 0, ImageFormat::gif},
    {"BM"sv, 0, ImageFormat::bmp},
    {"II*\0"sv, 0, ImageFormat::tiff},
    {"MM\0*"sv, 0, ImageFormat::tiff},
    {"\0\0\1\0"sv, 0, ImageFormat::ico},
    {"\0\0\2\0"sv, 0, ImageFormat::ico},
    {"ftyp"sv, 4, ImageFormat::heic},
}};

bool matches(std::string_view head, const Signature& signature, bool whole_body) {
    if (head.size() >= signature.at + signature.bytes.size()) {
        return head.substr(signature.at, signature.bytes.size()) == signature.bytes;
    }
    // A body shorter than the signature: a prefix of it is that format, cut short.
    if (!whole_body || head.empty() || head.size() <= signature.at) {
        return false;
    }
    return signature.bytes.substr(0, head.size() - signature.at) == head.substr(signature.at);
}

bool looks_like_xml(std::string_view head) {
    if (head.substr(0, 3) == "\xEF\xBB\xBF") {
        head.remove_prefix(3);
    }
    const auto first = head.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && head[first] == '<';
}

std::optional<ImageFormat> detect(std::string_view head, bool whole_body) {
    if (head.substr(0, 4) == "RIFF" && (head.size() >= 12 || whole_body)) {
        return head.size() < 12 || head.substr(8, 4) == "WEBP" ? std::optional(ImageFormat::webp)
                                                               : std::nullopt;
    }
    for (const auto& signature : k_signatures) {
        if (matches(head, signature, whole_body)) {
            return signature.format;
        }
    }
    if (looks_like_xml(head)) {
        return ImageFormat::svg;
    }
    return std::nullopt;
}

} // namespace

std::optional<ImageFormat> detect_image_format(std::string_view head) {
    return detect(head, head.size() < k_detect_bytes);
}

std::unique_ptr<ImageValidator> make_validator(ImageFormat format) {
    switch (format) {
    case ImageFormat::jpeg:
        return make_jpeg_validator();
    case ImageFormat::png:
        return make_png_validator();
    case ImageFormat::gif:
        return make_gif_validator();
    case ImageFormat::webp:
        return make_webp_validator();
    case ImageFormat::avif:
    case ImageFormat::heic:
        return make_isobmff_validator(format);
    case ImageFormat::bmp:
        return make_bmp_validator();
    case ImageFormat::tiff:
        return make_tiff_validator();
    case ImageFormat::ico:
        return make_ico_validator();
    case ImageFormat::svg:
        return make_svg_validator();
    }
    return nullptr;
}

void StructureCheck::choose(bool whole_body) {
    m_chosen = true;
    const std::string_view head(m_head.data(), m_head_size);
    if (const auto format = detect(head, whole_body)) {
        m_validator = make_validator(*format);
        m_validator->feed(head);
    }
}

void StructureCheck::feed(std::string_view chunk) {
    if (!m_chosen) {
        const std::size_t taken = std::min(chunk.size(), k_detect_bytes - m_head_size);
        std::memcpy(m_head.data() + m_head_size, chunk.data(), taken);
        m_head_size += taken;
        chunk.remove_prefix(taken);
        if (m_head_size < k_detect_bytes) {
            return;
        }
        choose(false);
    }
    if (m_validator) {
        m_validator->feed(chunk);
    }
}

ImageCheck StructureCheck::finish() {
    if (!m_chosen) {
        choose(true);
    }
    if (!m_validator) {
        return ImageCheck{ImageVerdict::unknown_format, {}, {}};
    }
    return m_validator->finish();
}

const ImageFacts& StructureCheck::facts() const {
    return m_validator ? m_validator->facts() : m_no_facts;
}

} // namespace imgfetch
