// Where the URLs come from besides the lists' lines: pages (--page), and how lists with
// columns are read (--input-format and the column names).
#include <CLI/CLI.hpp>

#include <map>
#include <string>

#include "imgfetch/cli/option_groups.hpp"

namespace imgfetch {

// Pages as the source of image URLs (--page, with --input-format pages for lists of them).
void add_page_options(CLI::App& app, InputOptions& input) {
    app.add_option("--page", input.pages,
                   "Download the images a web page names (img src and srcset, lazy data-* "
                   "attributes, og:image, twitter:image, image_src, links to image files); "
                   "repeatable; read before the lists")
        ->option_text("URL");
    app.add_option("--max-page-size", input.max_page_size,
                   "Fail a page larger than SIZE bytes (it is held in memory); k, M, G "
                   "suffixes; 0 = no limit (default: 8M)")
        ->transform(size_in_bytes("size"))
        ->option_text("SIZE");
    app.add_flag("--probe-links", input.probe_links,
                 "On a page, also follow links without an image extension when a ranged GET "
                 "of their first 32 bytes shows an image");
}

// Lists with columns: the format, and which columns of a CSV or TSV list matter.
void add_list_format_options(CLI::App& app, ListFormat& format) {
    const std::map<std::string, InputFormat> formats{
        {"auto", InputFormat::auto_detect}, {"text", InputFormat::text},
        {"csv", InputFormat::csv},          {"tsv", InputFormat::tsv},
        {"jsonl", InputFormat::jsonl},      {"pages", InputFormat::pages}};
    app.add_option("--input-format", format.format,
                   "How the lists are written: text (URL [NAME] per line), csv or tsv (a header "
                   "row, RFC 4180 quoting), jsonl (an object per line); auto goes by the "
                   "extension .csv .tsv .jsonl .ndjson, else text; stdin is text; pages: text "
                   "lines whose URLs are web pages, as --page (default: auto)")
        ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
        ->option_text("FORMAT");
    const auto not_empty = [](const std::string& name) {
        return name.empty() ? std::string("a column name cannot be empty") : std::string();
    };
    app.add_option("--url-column", format.url_column,
                   "CSV/TSV: the header of the column with the URLs (default: url)")
        ->check(not_empty)
        ->option_text("NAME");
    app.add_option("--name-column", format.name_column,
                   "CSV/TSV: the column with each file's name, sanitized and made unique like a "
                   "text list's NAME (default: names from the URLs)")
        ->check(not_empty)
        ->option_text("NAME");
    app.add_option("--sha256-column", format.sha256_column,
                   "CSV/TSV: the column with each file's expected SHA-256 (64 hex digits; empty "
                   "cell: none); a mismatch fails the URL and saves nothing")
        ->check(not_empty)
        ->option_text("NAME");
}

} // namespace imgfetch
