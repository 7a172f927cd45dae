#pragma once

#include <string>
#include <string_view>

namespace imgfetch {

// How a URL list is written (--input-format).
enum class InputFormat {
    auto_detect, // by the file's extension: .csv, .tsv, .jsonl/.ndjson, else text; stdin: text
    text,        // "URL" or "URL NAME" per line, '#' comments
    csv,         // a header row, then comma-separated rows (RFC 4180 quoting)
    tsv,         // the same with tabs
    jsonl,       // one JSON object per line: url, and optional name, referer, headers, sha256
    pages,       // text lines whose URLs are web pages: their images are downloaded (--page)
};

// How the lists of a run are read: their format and, for CSV and TSV, the columns that
// matter. The defaults are the command line's (cli/options.hpp holds one of these).
struct ListFormat {
    InputFormat format = InputFormat::auto_detect;
    std::string url_column = "url"; // --url-column
    std::string name_column;        // --name-column; empty: names come from the URLs
    std::string sha256_column;      // --sha256-column; empty: no expected hashes
};

// Pure: the format `path` is read in. `requested` unless it is auto_detect; then by the
// extension (case-insensitive), and text for standard input ("-") and anything else.
InputFormat resolve_input_format(InputFormat requested, std::string_view path);

} // namespace imgfetch
