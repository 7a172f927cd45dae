#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "imgfetch/list/csv_reader.hpp"
#include "imgfetch/list/list_format.hpp"
#include "imgfetch/list/url_list.hpp"

namespace imgfetch {

// Where the columns that matter are in the rows of one CSV or TSV list, from its header row.
struct ListColumns {
    std::size_t count = 0; // fields in the header; every row must have as many
    std::size_t url = 0;
    std::optional<std::size_t> name;   // --name-column
    std::optional<std::size_t> sha256; // --sha256-column
};

// Pure: finds format's url, name and sha256 columns in `header` (names compared exactly, after
// trimming spaces; the first of equal names counts). Throws SetupError naming `list_name`,
// the missing column and the columns the header has, or the header row's own error.
ListColumns find_columns(const CsvRecord& header, const ListFormat& format,
                         const std::string& list_name);

// Pure: one data row of that list as a list line. A row whose fields are all empty is blank.
// Bad: a row with its own error (quoting, length), another number of fields than the header,
// an empty or non-http(s) URL, a sha256 that is not 64 hex digits.
ParsedLine parse_csv_row(const CsvRecord& row, const ListColumns& columns);

} // namespace imgfetch
