#include "imgfetch/list/sanitize.hpp"

#include <array>

namespace imgfetch {

namespace {

// An extension longer than this is not worth keeping when a name has to be shortened.
constexpr std::size_t k_max_kept_extension_bytes = 16;

constexpr std::array<std::string_view, 14> k_image_extensions = {
    "jpg",  "jpeg", "png", "gif",  "webp", "bmp",  "tif",
    "tiff", "svg",  "ico", "avif", "heic", "heif", "jxl"};

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view text) {
    std::string lowered(text);
    for (char& c : lowered) {
        c = ascii_lower(c);
    }
    return lowered;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool is_forbidden_byte(unsigned char byte) {
    if (byte < 0x20 || byte == 0x7F) {
        return true; // NUL and every other control character
    }
    switch (byte) {
    case '/':
    case '\\':
    case '<':
    case '>':
    case ':':
    case '"':
    case '|':
    case '?':
    case '*':
        return true;
    default:
        return false;
    }
}

bool is_dot_or_space(char c) {
    return c == '.' || c == ' ';
}

void strip_trailing_dots_and_spaces(std::string& text) {
    while (!text.empty() && is_dot_or_space(text.back())) {
        text.pop_back();
    }
}

// Windows refuses these as a name's base, with any extension: "con", "Com1.txt", "nul.tar.gz".
bool is_windows_device_name(std::string_view name) {
    std::string base = ascii_lower(name.substr(0, name.find('.')));
    strip_trailing_dots_and_spaces(base); // "con .txt" is the device too
    if (base == "con" || base == "prn" || base == "aux" || base == "nul") {
        return true;
    }
    return base.size() == 4 && (base.starts_with("com") || base.starts_with("lpt")) &&
           base[3] >= '1' && base[3] <= '9';
}

bool is_utf8_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

std::string shorten(const std::string& name) {
    const auto dot = name.rfind('.');
    const bool keep_extension = dot != std::string::npos && dot > 0 && name.size() - dot - 1 >= 1 &&
                                name.size() - dot - 1 <= k_max_kept_extension_bytes;
    if (!keep_extension) {
        std::string shortened(utf8_prefix(name, k_max_name_bytes));
        strip_trailing_dots_and_spaces(shortened);
        return shortened;
    }
    const std::string_view extension = std::string_view(name).substr(dot); // with its dot
    std::string shortened(
        utf8_prefix(std::string_view(name).substr(0, dot), k_max_name_bytes - extension.size()));
    shortened += extension;
    return shortened;
}

} // namespace

std::string_view utf8_prefix(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    std::size_t cut = limit;
    for (int i = 0; i < 3 && cut > 0 && is_utf8_continuation(text[cut]); ++i) {
        --cut;
    }
    return text.substr(0, cut);
}

std::string percent_decode(std::string_view text) {
    std::string decoded;
    decoded.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
            hex_value(text[i + 2]) >= 0) {
            decoded += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            decoded += text[i];
        }
    }
    return decoded;
}

std::string sanitize_file_name(std::string_view name) {
    std::string clean;
    clean.reserve(name.size());
    bool leading = true;
    for (const char c : name) {
        // Leading dots would hide the file or make it "." or ".."; leading spaces are a trap.
        if (leading && is_dot_or_space(c)) {
            continue;
        }
        leading = false;
        clean += is_forbidden_byte(static_cast<unsigned char>(c)) ? '_' : c;
    }
    // Windows drops trailing dots and spaces, so "a." and "a" would be one file there.
    strip_trailing_dots_and_spaces(clean);
    if (clean.empty()) {
        return "index";
    }
    // Shorten first: shortening strips trailing spaces and dots, which can uncover a device
    // name ("con" + 300 spaces + "x" -> "con").
    if (clean.size() > k_max_name_bytes) {
        clean = shorten(clean);
    }
    if (is_windows_device_name(clean)) {
        clean.insert(0, 1, '_');
        if (clean.size() > k_max_name_bytes) { // "con.<196 bytes>": the '_' tipped it over
            clean = shorten(clean);            // keeps the leading '_', so no device name reappears
        }
    }
    return clean;
}

std::string extension_of(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) {
        return {};
    }
    return ascii_lower(name.substr(dot + 1));
}

bool has_image_extension(std::string_view name) {
    const std::string extension = extension_of(name);
    for (const std::string_view known : k_image_extensions) {
        if (extension == known) {
            return true;
        }
    }
    return false;
}

} // namespace imgfetch
