// libFuzzer target: the whole input as a CSV and as a TSV list through CsvReader, its first
// record as a header (find_columns) and the others as rows (parse_csv_row); and the input as
// one JSON Lines line. Checks the contracts a caller relies on: the reader ends, numbers records
// by nondecreasing first lines within the input's line count, never returns a clean record
// over its size limit, and a usable row is an http(s) URL with a well-formed hash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>

#include "imgfetch/list/column_row.hpp"
#include "imgfetch/list/csv_reader.hpp"
#include "imgfetch/list/json_list_line.hpp"
#include "imgfetch/list/row_fields.hpp"
#include "imgfetch/setup_error.hpp"

namespace {

// An invariant: when it fails, say which one and crash so libFuzzer keeps the input.
void check(bool condition, int line = __builtin_LINE()) {
    if (!condition) {
        std::fprintf(stderr, "%s:%d: invariant failed\n", __FILE__, line);
        std::abort();
    }
}

void check_parsed(const imgfetch::ParsedLine& parsed) {
    if (const auto* entry = std::get_if<imgfetch::ListEntry>(&parsed)) {
        check(imgfetch::is_http_url(entry->url));
        check(entry->expected_sha256.empty() ||
              imgfetch::normalized_sha256(entry->expected_sha256) == entry->expected_sha256);
        check(!imgfetch::has_line_break(entry->referer));
        for (const std::string& header : entry->headers) {
            check(!imgfetch::has_line_break(header) && header.find(':') != std::string::npos);
        }
    } else if (const auto* bad = std::get_if<imgfetch::BadLine>(&parsed)) {
        check(!bad->reason.empty());
    }
}

void read_as(std::string_view input, char separator, std::size_t max_record_bytes) {
    std::istringstream stream{std::string(input)};
    imgfetch::CsvReader reader(stream, separator, max_record_bytes);
    const auto lines = static_cast<std::size_t>(std::count(input.begin(), input.end(), '\n')) + 1;
    imgfetch::CsvRecord record;
    std::optional<imgfetch::ListColumns> columns;
    imgfetch::ListFormat format;
    format.url_column = "url";
    format.sha256_column = "sha256";
    std::size_t records = 0;
    std::size_t last_line = 0;
    while (reader.next(record)) {
        ++records;
        check(records <= input.size()); // every record consumed at least one byte
        check(record.line >= last_line && record.line >= 1 && record.line <= lines);
        last_line = record.line;
        if (record.error.empty()) {
            std::size_t bytes = 0;
            for (const std::string& field : record.fields) {
                bytes += field.size();
            }
            check(!record.fields.empty() && bytes <= max_record_bytes);
        }
        if (records == 1) {
            try {
                columns = imgfetch::find_columns(record, format, "fuzz.csv");
            } catch (const imgfetch::SetupError&) {
                columns = imgfetch::ListColumns{record.fields.size(), 0, std::nullopt, 0};
            }
            continue;
        }
        check_parsed(imgfetch::parse_csv_row(record, *columns));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // A small record limit makes the too-long path reachable with short inputs.
    for (const std::size_t max_record_bytes : {std::size_t{16}, std::size_t{4096}}) {
        read_as(input, ',', max_record_bytes);
        read_as(input, '\t', max_record_bytes);
    }
    check_parsed(imgfetch::parse_json_list_line(input));
    return 0;
}
