#pragma once

// The option groups registered outside command_line.cpp, one file each, and what they share.
// parse_command_line() calls every add_*_options() once, on the main thread.

#include <CLI/CLI.hpp>

#include <string>

#include "imgfetch/cli/options.hpp"

namespace imgfetch {

// A SIZE or RATE ("10k", "2M") rewritten as its number of bytes, so CLI11 can store it in a
// std::uint64_t field directly; `what` names the value in the error ("not a size: 1Q").
CLI::Validator size_in_bytes(const std::string& what);

// Decisions by a body's bytes (issue 14): --reject-hash, --dedupe (body_check_options.cpp).
void add_content_options(CLI::App& app, TransferOptions& transfer);

// The image check and the image filters (issue 14 parts 1 and 3): --verify, --min-width ...
// --reject-types (body_check_options.cpp).
void add_image_options(CLI::App& app, TransferOptions& transfer);

// Pages as the source of image URLs: --page, --max-page-size, --probe-links (list_options.cpp).
void add_page_options(CLI::App& app, InputOptions& input);

// Lists with columns: --input-format, --url-column, --name-column, --sha256-column
// (list_options.cpp).
void add_list_format_options(CLI::App& app, ListFormat& format);

// What each request says, to the listed URL's origin only (headers, Referer, credentials), the
// User-Agent to every host: -H, -A, --referer, -u, --netrc, --netrc-file (request_options.cpp).
void add_request_options(CLI::App& app, TransferOptions& transfer);

// Cookies and proxies (issue 13 parts 3 and 5): --cookies, --save-cookies, --proxy, --noproxy
// (request_options.cpp).
void add_cookie_and_proxy_options(CLI::App& app, TransferOptions& transfer);

// Collections (issue 16): --layout, --name-template, --archive, --resume
// (collection_options.cpp).
void add_collection_options(CLI::App& app, Options& options);
// After parsing: --layout url becomes its template, a template is checked (unknown field,
// unbalanced brace), {sha256} turns the checksum on. An error text for exit 2, or empty.
std::string finish_collection_options(Options& options);

} // namespace imgfetch
