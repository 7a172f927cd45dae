#include "imgfetch/list/url_list.hpp"

#include <limits>
#include <string>
#include <utility>

#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// Most of a bad URL that a reason shows; enough to recognise it, not enough to flood a log.
constexpr std::size_t k_max_shown_url_bytes = 100;

const std::string_view k_utf8_bom = "\xEF\xBB\xBF";

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (ascii_lower(text[i]) != prefix[i]) {
            return false;
        }
    }
    return true;
}

// The text shown for a bad URL: credentials redacted first (a cut must not keep half a
// password), then at most k_max_shown_url_bytes, cut on a UTF-8 character boundary. Not
// escaped here: whoever prints it escapes it once (the log with printable(), the report as JSON).
std::string shown_url(std::string_view raw_url) {
    std::string redacted = redact_credentials(raw_url);
    const std::string_view url = redacted;
    if (url.size() <= k_max_shown_url_bytes) {
        return redacted;
    }
    std::size_t cut = k_max_shown_url_bytes;
    // Back off over at most three continuation bytes: a longer run is not UTF-8 anyway.
    for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(url[cut]) & 0xC0U) == 0x80U;
         ++i) {
        --cut;
    }
    return std::string(url.substr(0, cut)) + "...";
}

// Our own reading of "scheme://authority": the scheme must be http or https and the host,
// what is left of the authority without user info and port, must not be empty. libcurl
// alone is too lenient here: it reads "http:///x" as host "x" and accepts "http:/x".
bool has_http_scheme_and_host(std::string_view url) {
    std::string_view rest;
    if (starts_with_ignoring_case(url, "http://")) {
        rest = url.substr(7);
    } else if (starts_with_ignoring_case(url, "https://")) {
        rest = url.substr(8);
    } else {
        return false;
    }
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        host = host.substr(1, close - 1);
    } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
    }
    return !host.empty();
}

} // namespace

std::optional<ParsedUrl> parse_http_url(std::string_view url) {
    if (url.find('\0') != std::string_view::npos || !has_http_scheme_and_host(url)) {
        return std::nullopt;
    }
    // libcurl's parser rejects what ours does not look at: spaces and control characters,
    // bad ports, malformed IPv6 and percent-encoding in the host.
    return parse_url(url);
}

bool is_http_url(std::string_view url) {
    return parse_http_url(url).has_value();
}

bool is_blank_list_line(std::string_view line) {
    if (line.find('\0') != std::string_view::npos) {
        return false; // a bad line, not a blank one
    }
    line = trim(line);
    return line.empty() || line.front() == '#';
}

ParsedLine parse_list_line(std::string_view line) {
    if (line.find('\0') != std::string_view::npos) {
        return BadLine{"line contains a NUL byte"};
    }
    if (is_blank_list_line(line)) {
        return BlankLine{};
    }
    line = trim(line);
    const auto separator = line.find_first_of(" \t\r");
    const std::string_view url = line.substr(0, separator);
    const std::string_view name =
        separator == std::string_view::npos ? std::string_view{} : trim(line.substr(separator));
    return make_list_entry(url, name);
}

ParsedLine make_list_entry(std::string_view url, std::string_view name) {
    std::optional<ParsedUrl> parsed = parse_http_url(url);
    if (!parsed) {
        return BadLine{"not an http(s) URL: " + shown_url(url)};
    }
    ListEntry entry;
    entry.url = url;
    entry.name = name;
    entry.parsed = std::move(*parsed);
    return entry;
}

ListReader::ListReader(std::istream& in, std::size_t max_line_bytes)
    : m_in(in), m_max_line_bytes(max_line_bytes) {
    // Room for the longest allowed line plus a CR, a BOM on line 1, and getline()'s NUL.
    // Allocated once: the reader never holds more than this, whatever the input.
    m_buffer.resize(m_max_line_bytes + 1 + k_utf8_bom.size() + 1);
}

bool ListReader::next(Line& out) {
    RawLine raw;
    if (!next_raw(raw)) {
        return false;
    }
    out.number = raw.number;
    if (!raw.text) {
        out.parsed = BadLine{"line longer than " + std::to_string(m_max_line_bytes) + " bytes"};
    } else {
        out.parsed = parse_list_line(*raw.text);
    }
    return true;
}

bool ListReader::next_raw(RawLine& out) {
    if (!m_in.good()) {
        return false;
    }
    // getline() into a fixed buffer stops at the buffer's end instead of growing, so a
    // hostile line costs no memory; the rest of it is skipped with ignore(). Both scan the
    // stream buffer in bulk, which keeps a million-line list fast.
    const std::size_t bom_room = m_line_number == 0 ? k_utf8_bom.size() : 0;
    const std::size_t capacity = m_max_line_bytes + 1 + bom_room; // line + CR (+ BOM)
    m_in.getline(m_buffer.data(), static_cast<std::streamsize>(capacity + 1));
    auto extracted = static_cast<std::size_t>(m_in.gcount());
    if (extracted == 0) {
        return false; // end of input (or a read error) before any byte of a new line
    }
    if (m_in.bad()) {
        return false; // a read error: the caller sees it on the stream
    }
    bool too_long = false;
    if (m_in.fail()) {
        // The buffer filled up before a '\n': skip to the end of this physical line.
        m_in.clear(m_in.rdstate() & ~std::ios_base::failbit);
        m_in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
        too_long = true;
    }
    ++m_line_number;
    out.number = m_line_number;
    out.text.reset();
    if (too_long) {
        return true;
    }
    std::string_view line(m_buffer.data(), extracted);
    if (!m_in.eof()) {
        line.remove_suffix(1); // the '\n' counts in gcount() but is not stored
    }
    if (bom_room != 0 && line.starts_with(k_utf8_bom)) {
        line.remove_prefix(k_utf8_bom.size());
    }
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (line.size() <= m_max_line_bytes) {
        out.text = line;
    }
    return true;
}

} // namespace imgfetch
