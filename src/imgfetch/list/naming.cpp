#include "imgfetch/list/naming.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>

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

// The longest prefix of `text` of at most `limit` bytes that does not end inside a UTF-8
// character. At most three bytes are given back: a longer run is not UTF-8 to protect.
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

// "photo.jpg" -> "photo"; a name whose only dot is its first character has no extension.
std::string_view stem_of(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) {
        return name;
    }
    return name.substr(0, dot);
}

// "photo.jpg", 2 -> "photo-2.jpg"; "photo", 2 -> "photo-2". Never longer than
// k_max_name_bytes: the stem gives up its last whole characters to make room for the suffix
// (a name whose extension leaves no room is numbered at its end, like a name without one).
// The digits after the last '-' tell every n apart, so the names tried stay distinct.
std::string with_suffix(std::string_view name, std::size_t n) {
    std::string suffix = "-"; // built in two steps: GCC 12 -O3 misreports "-" + to_string
    suffix += std::to_string(n);
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0 ||
        name.size() - dot + suffix.size() >= k_max_name_bytes) {
        dot = name.size();
    }
    const std::string_view extension = name.substr(dot); // with its dot, or empty
    std::string result(
        utf8_prefix(name.substr(0, dot), k_max_name_bytes - suffix.size() - extension.size()));
    result += suffix;
    result += extension;
    return result;
}

struct CurlUrlDeleter {
    void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};

struct CurlFree {
    void operator()(char* text) const { curl_free(text); }
};

// The raw (still percent-encoded) path of `url` by libcurl's parser, which also drops
// query and fragment and resolves "." and ".." segments; nothing when it cannot parse it.
std::optional<std::string> curl_path_of(std::string_view url) {
    const std::unique_ptr<CURLU, CurlUrlDeleter> handle(curl_url());
    if (!handle) {
        return std::nullopt;
    }
    const std::string terminated(url);
    if (curl_url_set(handle.get(), CURLUPART_URL, terminated.c_str(), 0) != CURLUE_OK) {
        return std::nullopt;
    }
    char* raw_path = nullptr;
    if (curl_url_get(handle.get(), CURLUPART_PATH, &raw_path, 0) != CURLUE_OK) {
        return std::nullopt;
    }
    const std::unique_ptr<char, CurlFree> path(raw_path);
    return path ? std::string(path.get()) : std::string();
}

// A best effort for what libcurl will not parse: drop the scheme and authority, then the
// fragment and the query.
std::string_view manual_path_of(std::string_view url) {
    url = url.substr(0, url.find('#'));
    url = url.substr(0, url.find('?'));
    if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
        url.remove_prefix(scheme_end + 3);
        const auto path_start = url.find('/');
        return path_start == std::string_view::npos ? std::string_view{} : url.substr(path_start);
    }
    return url;
}

} // namespace

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

std::string name_from_url(std::string_view url) {
    const std::optional<std::string> curl_path = curl_path_of(url);
    const std::string_view path = curl_path ? std::string_view(*curl_path) : manual_path_of(url);
    const auto slash = path.rfind('/');
    const std::string_view segment =
        slash == std::string_view::npos ? path : path.substr(slash + 1);
    return sanitize_file_name(percent_decode(segment));
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

ReservedName NameAllocator::reserve(std::string_view wanted) {
    const std::string base = wanted.empty() ? std::string("index") : std::string(wanted);
    const bool needs_extension = !has_image_extension(base);
    std::size_t suffix = 1;
    std::string candidate = base;
    if (!is_free(candidate, needs_extension)) {
        // Only a base found taken can have collided before (names are only ever added), so
        // most names need no next_suffix look-up.
        const std::optional<std::uint64_t> remembered = m_taken.find(key(next_suffix, base));
        suffix = remembered ? static_cast<std::size_t>(*remembered) : 2;
        candidate = with_suffix(base, suffix);
    }
    while (!is_free(candidate, needs_extension)) {
        ++suffix;
        candidate = with_suffix(base, suffix);
    }
    if (suffix > 1) {
        m_taken.assign(key(next_suffix, base), suffix + 1);
    }
    take(candidate, needs_extension);
    return ReservedName{std::move(candidate), needs_extension};
}

const std::string& NameAllocator::key(Kind kind, std::string_view name) {
    m_key.assign(1, static_cast<char>(kind));
    m_key += name;
    return m_key;
}

bool NameAllocator::is_free(const std::string& name, bool needs_extension) {
    if (needs_extension) {
        // "name" becomes "name.<ext>": it must not be the stem of any name, open or complete.
        return !m_taken.contains(key(open_stem, name)) &&
               !m_taken.contains(key(full_name_stem, name)) &&
               !m_taken.contains(key(full_name, name));
    }
    return !m_taken.contains(key(full_name, name)) &&
           !m_taken.contains(key(open_stem, stem_of(name)));
}

void NameAllocator::take(const std::string& name, bool needs_extension) {
    if (needs_extension) {
        m_taken.try_emplace(key(open_stem, name), 0);
        return;
    }
    m_taken.try_emplace(key(full_name, name), 0);
    m_taken.try_emplace(key(full_name_stem, stem_of(name)), 0);
}

namespace {

// The value of one parameter (`key`, case-insensitive) of a header like
// `attachment; filename="a b.png"; filename*=UTF-8''a%20b.png`, unquoted.
std::optional<std::string> header_parameter(std::string_view header, std::string_view key) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        const std::size_t semicolon = header.find(';', pos);
        if (semicolon == std::string_view::npos) {
            return std::nullopt;
        }
        pos = semicolon + 1;
        while (pos < header.size() && (header[pos] == ' ' || header[pos] == '\t')) {
            ++pos;
        }
        const std::size_t equals = header.find('=', pos);
        if (equals == std::string_view::npos) {
            return std::nullopt;
        }
        std::string name(header.substr(pos, equals - pos));
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
            name.pop_back();
        }
        for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        std::size_t value_start = equals + 1;
        while (value_start < header.size() && header[value_start] == ' ') {
            ++value_start;
        }
        std::string value;
        std::size_t next = value_start;
        if (value_start < header.size() && header[value_start] == '"') {
            next = value_start + 1;
            while (next < header.size() && header[next] != '"') {
                if (header[next] == '\\' && next + 1 < header.size()) {
                    ++next;
                }
                value.push_back(header[next]);
                ++next;
            }
            ++next;
        } else {
            next = std::min(header.find(';', value_start), header.size());
            value = std::string(header.substr(value_start, next - value_start));
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t' ||
                                      value.back() == '\r' || value.back() == '\n')) {
                value.pop_back();
            }
        }
        if (name == key) {
            return value;
        }
        pos = next;
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> filename_from_content_disposition(std::string_view header) {
    std::optional<std::string> raw;
    if (auto extended = header_parameter(header, "filename*")) {
        // RFC 5987: charset'language'percent-encoded; only the value part matters for bytes.
        const std::size_t first = extended->find('\'');
        const std::size_t second =
            first == std::string::npos ? std::string::npos : extended->find('\'', first + 1);
        if (second != std::string::npos && second + 1 < extended->size()) {
            raw = percent_decode(std::string_view(*extended).substr(second + 1));
        }
    }
    if (!raw) {
        raw = header_parameter(header, "filename");
    }
    if (!raw) {
        return std::nullopt;
    }
    // A base name only: whatever path the server put in front is dropped.
    const std::size_t slash = raw->find_last_of("/\\");
    const std::string base = slash == std::string::npos ? *raw : raw->substr(slash + 1);
    if (base.find_first_not_of(" .") == std::string::npos) {
        return std::nullopt;
    }
    return sanitize_file_name(base);
}

} // namespace imgfetch
