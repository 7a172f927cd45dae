#pragma once

#include <istream>
#include <memory>
#include <string>

#include "imgfetch/list/list_format.hpp"
#include "imgfetch/list/url_list.hpp"

namespace imgfetch {

// The usable lines of one list, whatever its format, one at a time: what produce_tasks()
// reads. Each line keeps the number a user finds it at (for a CSV row, its first line).
// Streams: never holds more than one line or row. Not thread-safe: main thread only.
class ListLines {
public:
    virtual ~ListLines() = default;
    // The next line into `out`; false at end of input.
    virtual bool next(ListReader::Line& out) = 0;
};

// Opens `in` (not owned; it must outlive the result) as a list in `format` (resolved: not
// auto_detect). CSV and TSV read their header row here, so a header without the columns
// `columns` names is a SetupError naming `list_name` before any download; an empty list has
// no header and no lines.
std::unique_ptr<ListLines> open_list_lines(std::istream& in, InputFormat format,
                                           const ListFormat& columns, const std::string& list_name);

} // namespace imgfetch
