#include "imgfetch/util/text_escape.hpp"

#include <algorithm>

#include <cstddef>

namespace imgfetch {

namespace {

void append_escaped_byte(std::string& out, unsigned char byte) {
    static constexpr std::string_view k_hex = "0123456789ABCDEF";
    out += "\\x";
    out += k_hex[byte >> 4U];
    out += k_hex[byte & 0x0FU];
}

bool is_continuation(unsigned char byte) {
    return (byte & 0xC0U) == 0x80U;
}

// Length of the well-formed UTF-8 sequence starting at `pos` (2..4), or 0 when the bytes
// there are not one. Follows RFC 3629 / Unicode table 3-7: no overlong forms, no surrogates,
// nothing above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) {
            second_min = 0xA0; // overlong below U+0800
        } else if (lead == 0xED) {
            second_max = 0x9F; // UTF-16 surrogates
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) {
            second_min = 0x90; // overlong below U+10000
        } else if (lead == 0xF4) {
            second_max = 0x8F; // above U+10FFFF
        }
    } else {
        return 0;
    }
    if (text.size() - pos < length) {
        return 0;
    }
    const auto second = static_cast<unsigned char>(text[pos + 1]);
    if (second < second_min || second > second_max) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (!is_continuation(static_cast<unsigned char>(text[pos + i]))) {
            return 0;
        }
    }
    return length;
}

} // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto byte = static_cast<unsigned char>(text[pos]);
        if (byte == '\\') {
            out += "\\\\";
            ++pos;
        } else if (byte < 0x80) {
            if (byte < 0x20 || byte == 0x7F) {
                append_escaped_byte(out, byte);
            } else {
                out += static_cast<char>(byte);
            }
            ++pos;
        } else if (const std::size_t length = utf8_sequence_length(text, pos); length == 0) {
            // Escape only this byte and resynchronise on the next one, so a stray lead byte
            // cannot swallow a following valid character.
            append_escaped_byte(out, byte);
            ++pos;
        } else if (byte == 0xC2 && static_cast<unsigned char>(text[pos + 1]) <= 0x9F) {
            // U+0080..U+009F: C1 controls, which some terminals act on (CSI is U+009B).
            append_escaped_byte(out, byte);
            append_escaped_byte(out, static_cast<unsigned char>(text[pos + 1]));
            pos += 2;
        } else {
            out.append(text.substr(pos, length));
            pos += length;
        }
    }
    return out;
}

std::string redact_credentials(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::string(url);
    }
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
    const std::size_t at = url.substr(0, authority_end).rfind('@');
    if (at == std::string_view::npos || at < authority) {
        return std::string(url);
    }
    return std::string(url.substr(0, authority)) + "***" + std::string(url.substr(at));
}

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
            break;
        }
    }
    return out;
}

std::string xml_text(std::string_view untrusted, std::size_t max_bytes) {
    std::string shown = printable(untrusted);
    if (shown.size() > max_bytes) {
        std::size_t cut = max_bytes;
        while (cut > 0 && is_continuation(static_cast<unsigned char>(shown[cut]))) {
            --cut;
        }
        shown.resize(cut);
        shown += "...";
    }
    return xml_escape(shown);
}

} // namespace imgfetch
