#include "imgfetch/transfer/content_check.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace imgfetch {

namespace {

using namespace std::string_view_literals;

unsigned char byte_at(std::string_view data, std::size_t pos) {
    return static_cast<unsigned char>(data[pos]);
}

std::uint32_t le32_at(std::string_view data, std::size_t pos) {
    return static_cast<std::uint32_t>(byte_at(data, pos)) |
           (static_cast<std::uint32_t>(byte_at(data, pos + 1)) << 8U) |
           (static_cast<std::uint32_t>(byte_at(data, pos + 2)) << 16U) |
           (static_cast<std::uint32_t>(byte_at(data, pos + 3)) << 24U);
}

std::uint32_t be32_at(std::string_view data, std::size_t pos) {
    return (static_cast<std::uint32_t>(byte_at(data, pos)) << 24U) |
           (static_cast<std::uint32_t>(byte_at(data, pos + 1)) << 16U) |
           (static_cast<std::uint32_t>(byte_at(data, pos + 2)) << 8U) |
           static_cast<std::uint32_t>(byte_at(data, pos + 3));
}

bool has_at(std::string_view data, std::size_t pos, std::string_view magic) {
    return data.size() >= pos + magic.size() && data.substr(pos, magic.size()) == magic;
}

bool is_bmp(std::string_view head) {
    if (head.size() < 18 || !has_at(head, 0, "BM")) {
        return false;
    }
    // "BM" alone is too weak (any text may start with it); the DIB header size pins it down:
    // BITMAPCOREHEADER, INFOHEADER, V2, V3, V4 and V5.
    const std::uint32_t dib_header_size = le32_at(head, 14);
    for (const std::uint32_t known : {12U, 40U, 52U, 56U, 108U, 124U}) {
        if (dib_header_size == known) {
            return true;
        }
    }
    return false;
}

bool is_ico(std::string_view head) {
    // Reserved 0, type 1 (icon), then a non-zero image count.
    return head.size() >= 6 && has_at(head, 0, "\x00\x00\x01\x00"sv) &&
           (byte_at(head, 4) != 0 || byte_at(head, 5) != 0);
}

std::optional<std::string_view> heif_family_extension(std::string_view brand) {
    if (brand == "avif" || brand == "avis") {
        return "avif";
    }
    if (brand == "heic" || brand == "heix" || brand == "heim" || brand == "heis" ||
        brand == "mif1") {
        return "heic";
    }
    return std::nullopt;
}

// ISO base media file: a "ftyp" box first, whose major brand names the format.
std::optional<std::string_view> sniff_iso_bmff(std::string_view head) {
    if (head.size() < 12 || !has_at(head, 4, "ftyp")) {
        return std::nullopt;
    }
    const std::string_view major_brand = head.substr(8, 4);
    const std::optional<std::string_view> extension = heif_family_extension(major_brand);
    if (major_brand != "mif1") {
        return extension;
    }
    // "mif1" only says "some HEIF image"; AVIF writers may use it as the major brand and list
    // "avif" among the compatible brands (after the minor version, from byte 16 on).
    const std::size_t box_end = std::min<std::size_t>(be32_at(head, 0), head.size());
    for (std::size_t pos = 16; pos + 4 <= box_end; pos += 4) {
        if (heif_family_extension(head.substr(pos, 4)) == "avif") {
            return "avif";
        }
    }
    return extension;
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

} // namespace

std::optional<std::string_view> sniff_image_extension(std::string_view head) {
    if (has_at(head, 0, "\xFF\xD8\xFF")) {
        return "jpg";
    }
    if (has_at(head, 0, "\x89PNG\r\n\x1A\n")) {
        return "png";
    }
    if (has_at(head, 0, "GIF87a") || has_at(head, 0, "GIF89a")) {
        return "gif";
    }
    if (has_at(head, 0, "RIFF") && has_at(head, 8, "WEBP")) {
        return "webp";
    }
    if (is_bmp(head)) {
        return "bmp";
    }
    if (has_at(head, 0, "II*\x00"sv) || has_at(head, 0, "MM\x00*"sv)) {
        return "tif";
    }
    if (has_at(head, 0, "\xFF\x0A") || has_at(head, 0, "\x00\x00\x00\x0CJXL \r\n\x87\n"sv)) {
        return "jxl";
    }
    // Before ICO: an "ftyp" box of 256 bytes starts with the same four bytes as an icon.
    if (auto extension = sniff_iso_bmff(head)) {
        return extension;
    }
    if (is_ico(head)) {
        return "ico";
    }
    return std::nullopt;
}

std::string media_type_of(std::string_view content_type) {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && is_space(type.front())) {
        type.remove_prefix(1);
    }
    while (!type.empty() && is_space(type.back())) {
        type.remove_suffix(1);
    }
    std::string lowered(type);
    for (char& c : lowered) {
        c = ascii_lower(c);
    }
    return lowered;
}

bool is_image_media_type(std::string_view media_type) {
    const std::string type = media_type_of(media_type);
    return type.size() > 6 && type.starts_with("image/");
}

std::optional<std::string_view> extension_for_media_type(std::string_view media_type) {
    static constexpr auto k_table = std::to_array<std::pair<std::string_view, std::string_view>>({
        {"image/jpeg", "jpg"},
        {"image/jpg", "jpg"},
        {"image/pjpeg", "jpg"},
        {"image/png", "png"},
        {"image/apng", "png"},
        {"image/gif", "gif"},
        {"image/webp", "webp"},
        {"image/bmp", "bmp"},
        {"image/x-ms-bmp", "bmp"},
        {"image/tiff", "tif"},
        {"image/svg+xml", "svg"},
        {"image/x-icon", "ico"},
        {"image/vnd.microsoft.icon", "ico"},
        {"image/avif", "avif"},
        {"image/heic", "heic"},
        {"image/heif", "heif"},
        {"image/jxl", "jxl"},
    });
    const std::string type = media_type_of(media_type);
    for (const auto& [known, extension] : k_table) {
        if (type == known) {
            return extension;
        }
    }
    return std::nullopt;
}

bool looks_like_markup(std::string_view head) {
    if (head.substr(0, 3) == "\xEF\xBB\xBF") {
        head.remove_prefix(3);
    }
    const std::size_t first = head.find_first_not_of(" \t\r\n\f");
    return first != std::string_view::npos && head[first] == '<';
}

} // namespace imgfetch
