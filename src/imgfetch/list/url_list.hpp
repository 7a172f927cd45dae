#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imgfetch/list/url.hpp"

namespace imgfetch {

// One usable line of a URL list: "URL" or "URL NAME", or a row of a list with columns.
struct ListEntry {
    std::string url;
    std::string name;   // empty when the line gave none
    ParsedUrl parsed{}; // `url` as libcurl's parser read it, once
    // Only from lists with columns (list_rows.hpp); empty: none given.
    std::string referer{};              // free of CR, LF and NUL
    std::vector<std::string> headers{}; // "Name: value", a token name, free of CR, LF and NUL
    std::string expected_sha256{};      // 64 lower-case hex digits
};

// A line that carries nothing: blank or a '#' comment.
struct BlankLine {};

// A line that is not usable; `reason` says why (without the line number). It quotes the
// line's text raw (credentials redacted): printers escape it.
struct BadLine {
    std::string reason;
};

using ParsedLine = std::variant<BlankLine, ListEntry, BadLine>;

// Pure: parses the text of one line (no line terminator; a trailing '\r' is tolerated).
ParsedLine parse_list_line(std::string_view line);

// Pure: a ListEntry for `url` and `name` when `url` is an http(s) URL (parse_http_url), else
// the BadLine a text list reports for it (the URL shown shortened, credentials redacted).
ParsedLine make_list_entry(std::string_view url, std::string_view name);

// Pure and cheap (no URL parsing): true exactly when parse_list_line(line) is a BlankLine.
bool is_blank_list_line(std::string_view line);

// An absolute http:// or https:// URL with a host (scheme case-insensitive), parsed; nothing
// for any other text.
std::optional<ParsedUrl> parse_http_url(std::string_view url);

// parse_http_url(url).has_value().
bool is_http_url(std::string_view url);

// Reads a list line by line from a stream it does not own; never loads the whole list.
// Strips a UTF-8 BOM on the first line and CR before LF. Lines longer than `max_line_bytes`
// are consumed to their end and reported as bad. Not thread-safe: main thread only.
class ListReader {
public:
    static constexpr std::size_t k_default_max_line_bytes = 64 * 1024;

    explicit ListReader(std::istream& in, std::size_t max_line_bytes = k_default_max_line_bytes);

    struct Line {
        std::size_t number = 0; // 1-based
        ParsedLine parsed;
    };

    // Returns false at end of input.
    bool next(Line& out);

    // One physical line before parsing: what next() hands to parse_list_line().
    struct RawLine {
        std::size_t number = 0;               // 1-based
        std::optional<std::string_view> text; // valid until the next call; nothing: too long
    };

    // next() without the parsing, for a pass that only counts lines. Returns false at end of
    // input. Interleaving it with next() on one reader is fine: both advance the same lines.
    bool next_raw(RawLine& out);

private:
    std::istream& m_in;
    std::size_t m_max_line_bytes;
    std::size_t m_line_number = 0;
    std::string m_buffer;
};

} // namespace imgfetch
