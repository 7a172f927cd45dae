// libFuzzer target: every function that turns untrusted bytes into a file name or into text
// for a terminal, with the header contracts checked as invariants:
//  - a sanitized name is never empty, ".", ".." or hidden; has no '/', '\\', NUL, control or
//    Windows-reserved byte; is no Windows device name ("con", "lpt1.png"); has no trailing
//    dot or space; fits in k_max_name_bytes; and sanitizing it again changes nothing;
//  - so is every name NameAllocator numbers ("photo-2.png", "photo-10.png") to keep it unique,
//    and the numbered names are all different;
//  - printable() output has no control byte (C0, DEL, C1) and is valid UTF-8;
//  - redact_credentials() keeps no password.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "imgfetch/list/naming.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace {

// An invariant: when it fails, say which one and crash so libFuzzer keeps the input.
// (__builtin_LINE: clang 14 with libstdc++ 12 has no std::source_location.)
void check(bool condition, int line = __builtin_LINE()) {
    if (!condition) {
        std::fprintf(stderr, "%s:%d: invariant failed\n", __FILE__, line);
        std::abort();
    }
}

bool is_forbidden_name_byte(unsigned char byte) {
    if (byte < 0x20 || byte == 0x7F) {
        return true;
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

// Windows refuses these as a name's base, whatever the extension: "con", "Com1.txt".
bool is_windows_device_name(std::string_view name) {
    std::string base(name.substr(0, name.find('.')));
    while (!base.empty() && (base.back() == ' ' || base.back() == '.')) {
        base.pop_back();
    }
    for (char& c : base) {
        c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (base == "con" || base == "prn" || base == "aux" || base == "nul") {
        return true;
    }
    return base.size() == 4 && (base.starts_with("com") || base.starts_with("lpt")) &&
           base[3] >= '1' && base[3] <= '9';
}

void check_safe_name(const std::string& name) {
    check(!name.empty());
    check(name.size() <= imgfetch::k_max_name_bytes);
    check(name != "." && name != "..");
    check(name.front() != '.' && name.front() != ' ');
    check(name.back() != '.' && name.back() != ' ');
    check(!is_windows_device_name(name));
    for (const char c : name) {
        check(!is_forbidden_name_byte(static_cast<unsigned char>(c)));
    }
    // Sanitizing is idempotent: a safe name is its own sanitized form.
    check(imgfetch::sanitize_file_name(name) == name);
}

// Length of the valid UTF-8 sequence at `pos` per RFC 3629, 0 when there is none.
std::size_t utf8_length(std::string_view text, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        code_point = lead & 0x1FU;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        code_point = lead & 0x0FU;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        code_point = lead & 0x07U;
    } else {
        return 0;
    }
    if (text.size() - pos < length) {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        if ((byte & 0xC0U) != 0x80U) {
            return 0;
        }
        code_point = (code_point << 6U) | (byte & 0x3FU);
    }
    const bool overlong =
        (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (overlong || surrogate || code_point > 0x10FFFF) {
        return 0;
    }
    return length;
}

void check_printable(std::string_view input, const std::string& out) {
    check(out.size() >= input.size());
    check(out.size() <= 4 * input.size()); // at worst every byte becomes "\xNN"
    std::size_t pos = 0;
    while (pos < out.size()) {
        const auto byte = static_cast<unsigned char>(out[pos]);
        check(byte >= 0x20 && byte != 0x7F);
        const std::size_t length = utf8_length(out, pos);
        check(length != 0);
        if (length == 2) {
            check(!(byte == 0xC2 && static_cast<unsigned char>(out[pos + 1]) <= 0x9F)); // C1
        }
        pos += length;
    }
    // Text without control bytes, backslashes or non-ASCII passes through unchanged.
    bool plain = true;
    for (const char c : input) {
        const auto byte = static_cast<unsigned char>(c);
        plain = plain && byte >= 0x20 && byte < 0x7F && c != '\\';
    }
    if (plain) {
        check(out == input);
    }
}

void check_redacted(std::string_view input, const std::string& out) {
    check(imgfetch::redact_credentials(out) == out); // idempotent
    const std::size_t scheme_end = input.find("://");
    if (scheme_end == std::string_view::npos) {
        check(out == input);
        return;
    }
    // Whatever sat between "://" and the authority's last '@' is gone.
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = std::min(input.find_first_of("/?#", authority), input.size());
    const std::size_t at = input.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos && at >= authority) {
        check(out ==
              std::string(input.substr(0, authority)) + "***" + std::string(input.substr(at)));
    } else {
        check(out == input);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    check_safe_name(imgfetch::sanitize_file_name(input));
    check_safe_name(imgfetch::sanitize_file_name(imgfetch::percent_decode(input)));
    check_safe_name(imgfetch::name_from_url(input));
    if (const std::optional<std::string> name =
            imgfetch::filename_from_content_disposition(input)) {
        check_safe_name(*name);
    }

    // The same name wanted again and again: numbered names are still safe, distinct names.
    imgfetch::NameAllocator allocator;
    const std::string wanted = imgfetch::sanitize_file_name(input);
    std::set<std::string> reserved;
    for (int i = 0; i < 11; ++i) {
        const std::string name = allocator.reserve(wanted).name;
        check_safe_name(name);
        check(reserved.insert(name).second);
    }

    check_printable(input, imgfetch::printable(input));
    check_redacted(input, imgfetch::redact_credentials(input));

    check(imgfetch::extension_of(input).find('.') == std::string::npos);
    return 0;
}
