#include "imgfetch/list/row_fields.hpp"

#include <algorithm>

namespace imgfetch {

namespace {

// Most of a bad hash that a reason quotes: a whole line pasted into the column stays short.
constexpr std::size_t k_max_shown_hash_bytes = 80;

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 9110 tchar.
bool is_token_char(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

} // namespace

std::optional<std::string> normalized_sha256(std::string_view text) {
    if (text.size() != 64 || !std::all_of(text.begin(), text.end(), is_hex_digit)) {
        return std::nullopt;
    }
    std::string hex(text);
    std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) {
        return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return hex;
}

bool has_line_break(std::string_view text) {
    return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string header_problem(std::string_view name, std::string_view value) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
        return "not a header name: '" + std::string(name.substr(0, 100)) + "'";
    }
    if (has_line_break(value)) {
        return "header '" + std::string(name) + "': value holds a line break or NUL";
    }
    return {};
}

std::string bad_sha256_reason(std::string_view text) {
    std::string shown(text.substr(0, k_max_shown_hash_bytes));
    if (text.size() > k_max_shown_hash_bytes) {
        shown += "...";
    }
    return "sha256 is not 64 hex digits: '" + shown + "'";
}

} // namespace imgfetch
