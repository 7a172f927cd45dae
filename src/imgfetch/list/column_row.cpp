#include "imgfetch/list/column_row.hpp"

#include <algorithm>
#include <string_view>
#include <variant>

#include "imgfetch/list/row_fields.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// Columns a setup error lists, at most: enough to spot a misspelt one.
constexpr std::size_t k_max_listed_columns = 30;

std::string_view trim_spaces(std::string_view text) {
    const auto first = text.find_first_not_of(' ');
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

std::string listed_columns(const CsvRecord& header) {
    std::string listed;
    for (std::size_t i = 0; i < header.fields.size() && i < k_max_listed_columns; ++i) {
        listed += (i == 0 ? "'" : ", '") + printable(trim_spaces(header.fields[i])) + "'";
    }
    if (header.fields.size() > k_max_listed_columns) {
        listed += ", ...";
    }
    return listed;
}

// The index of the column called `wanted`; throws naming what the header has instead.
std::size_t column_of(const CsvRecord& header, const std::string& wanted, const char* option,
                      const std::string& list_name) {
    const auto found = std::find_if(header.fields.begin(), header.fields.end(),
                                    [&](const std::string& f) { return trim_spaces(f) == wanted; });
    if (found == header.fields.end()) {
        throw SetupError("list '" + printable(list_name) + "': the header row (line " +
                         std::to_string(header.line) + ") has no column '" + printable(wanted) +
                         "' (" + option + "); its columns: " + listed_columns(header));
    }
    return static_cast<std::size_t>(found - header.fields.begin());
}

} // namespace

ListColumns find_columns(const CsvRecord& header, const ListFormat& format,
                         const std::string& list_name) {
    if (!header.error.empty()) {
        throw SetupError("list '" + printable(list_name) + "': the header row (line " +
                         std::to_string(header.line) + "): " + header.error);
    }
    ListColumns columns;
    columns.count = header.fields.size();
    columns.url = column_of(header, format.url_column, "--url-column", list_name);
    if (!format.name_column.empty()) {
        columns.name = column_of(header, format.name_column, "--name-column", list_name);
    }
    if (!format.sha256_column.empty()) {
        columns.sha256 = column_of(header, format.sha256_column, "--sha256-column", list_name);
    }
    return columns;
}

ParsedLine parse_csv_row(const CsvRecord& row, const ListColumns& columns) {
    if (!row.error.empty()) {
        return BadLine{row.error};
    }
    if (std::all_of(row.fields.begin(), row.fields.end(),
                    [](const std::string& field) { return field.empty(); })) {
        return BlankLine{};
    }
    if (row.fields.size() != columns.count) {
        return BadLine{"row has " + std::to_string(row.fields.size()) + " fields; the header has " +
                       std::to_string(columns.count)};
    }
    const std::string_view url = trim_spaces(row.fields[columns.url]);
    if (url.empty()) {
        return BadLine{"the URL column is empty"};
    }
    const std::string_view name = columns.name ? row.fields[*columns.name] : std::string_view{};
    ParsedLine parsed = make_list_entry(url, name);
    auto* entry = std::get_if<ListEntry>(&parsed);
    if (entry == nullptr || !columns.sha256) {
        return parsed;
    }
    const std::string_view hash = trim_spaces(row.fields[*columns.sha256]);
    if (!hash.empty()) {
        std::optional<std::string> normalized = normalized_sha256(hash);
        if (!normalized) {
            return BadLine{bad_sha256_reason(hash)};
        }
        entry->expected_sha256 = std::move(*normalized);
    }
    return parsed;
}

} // namespace imgfetch
