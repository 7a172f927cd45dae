#include "imgfetch/list/list_format.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace imgfetch {

namespace {

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
    if (text.size() < suffix.size()) {
        return false;
    }
    const std::string_view tail = text.substr(text.size() - suffix.size());
    return std::equal(tail.begin(), tail.end(), suffix.begin(), [](char a, char b) {
        return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
    });
}

} // namespace

InputFormat resolve_input_format(InputFormat requested, std::string_view path) {
    if (requested != InputFormat::auto_detect) {
        return requested;
    }
    if (path == "-") {
        return InputFormat::text; // standard input has no name to tell by
    }
    static constexpr std::array<std::pair<std::string_view, InputFormat>, 4> k_by_extension{{
        {".csv", InputFormat::csv},
        {".tsv", InputFormat::tsv},
        {".jsonl", InputFormat::jsonl},
        {".ndjson", InputFormat::jsonl},
    }};
    for (const auto& [extension, format] : k_by_extension) {
        if (ends_with_ignoring_case(path, extension)) {
            return format;
        }
    }
    return InputFormat::text;
}

} // namespace imgfetch
