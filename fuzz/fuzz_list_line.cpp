// libFuzzer target: one URL-list line through parse_list_line(), and the whole input as a list
// through ListReader. Checks the contracts a caller relies on: a usable entry is an http(s) URL
// without blanks, and the reader numbers lines 1, 2, 3, ... and ends.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>

#include "imgfetch/list/url_list.hpp"
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

bool has_byte_of(std::string_view text, std::string_view bytes) {
    return text.find_first_of(bytes) != std::string_view::npos;
}

void check_parsed(const imgfetch::ParsedLine& parsed) {
    if (const auto* entry = std::get_if<imgfetch::ListEntry>(&parsed)) {
        check(!entry->url.empty());
        check(imgfetch::is_http_url(entry->url));
        check(!has_byte_of(entry->url, std::string_view(" \t\r\n\0", 5)));
        check(entry->name.find('\0') == std::string::npos);
        check(entry->name.empty() || (entry->name.front() != ' ' && entry->name.back() != ' '));
    } else if (const auto* bad = std::get_if<imgfetch::BadLine>(&parsed)) {
        check(!bad->reason.empty());
        // Reasons quote the line raw; what reaches the terminal is printable(reason), which
        // must not carry raw control bytes from the input.
        for (const char c : imgfetch::printable(bad->reason)) {
            const auto byte = static_cast<unsigned char>(c);
            check(byte >= 0x20 && byte != 0x7F);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    check_parsed(imgfetch::parse_list_line(input));

    // A small line limit makes the too-long path reachable with short inputs.
    for (const std::size_t max_line_bytes : {std::size_t{16}, std::size_t{4096}}) {
        std::istringstream stream{std::string(input)};
        imgfetch::ListReader reader(stream, max_line_bytes);
        imgfetch::ListReader::Line line;
        std::size_t expected_number = 0;
        while (reader.next(line)) {
            ++expected_number;
            check(line.number == expected_number);
            check(expected_number <= size); // every line consumed at least one byte
            check_parsed(line.parsed);
        }
    }
    return 0;
}
