#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imgfetch/list/list_format.hpp"
#include "imgfetch/list/shard.hpp"

namespace imgfetch {

// What to do when a file is already at a URL's target path.
enum class ExistingPolicy {
    skip,      // keep it; no request at all (status skipped)
    overwrite, // download again and replace it
    update,    // conditional GET: 304 keeps it (not_modified), 200 replaces it
};

// --verify: check each image's structure while it streams (issue 14), or not.
enum class VerifyMode { structure, none };

// --dedupe: what to do with a body whose bytes equal an earlier file of the run (--checksum).
enum class DedupeMode { none, link };

// The image filters (issue 14 part 3): a body that fails one is `filtered`, aborted as soon as
// its header shows it. 0 / empty = no filter.
struct ImageFilters {
    std::uint32_t min_width = 0;
    std::uint32_t min_height = 0;
    std::uint64_t min_pixels = 0;
    std::uint64_t max_pixels = 0;          // a guard against decompression bombs
    std::uint64_t min_size = 0;            // bytes
    std::vector<std::string> types;        // keep only these formats (format_name() texts)
    std::vector<std::string> reject_types; // never keep these
};

// --layout: where under DIR a URL's file goes (issue 16 part 1).
enum class Layout {
    flat, // DIR/name
    url,  // DIR/host/path/of/the/url/name, like wget -x
};

// Every default below is the command line's default, and is written only here: CLI11 binds
// these fields directly, and each stage reads its group by const reference. A test that
// wants another value sets that field by name.

// Where the URLs come from.
struct InputOptions {
    std::vector<std::string> lists; // URL list files in order; "-" is standard input
    // --input-format, --url-column, --name-column, --sha256-column. Their defaults (auto,
    // "url", none, none) are ListFormat's own, so a list read in-process reads the same.
    ListFormat list_format;
    std::optional<Shard> shard; // keep only this shard's URLs
    // Pages to take image URLs from (issue 15): --page URL, repeatable; or a list of page URLs
    // with --input-format pages.
    std::vector<std::string> pages;
    std::uint64_t max_page_size = std::uint64_t{8} << 20; // --max-page-size, bytes of one page
    bool probe_links = false; // --probe-links: a ranged GET decides whether an <a href> is an image
    std::string config_file;  // the --config file that was read, if any
};

// How each download behaves; download_link() reads this (DownloadContext::settings).
struct TransferOptions {
    bool any_type = false;                           // keep non-image bodies too
    long connect_timeout_s = 10;                     // seconds to establish a connection
    long stall_timeout_s = 30;                       // abort when no byte arrives for this long
    double timeout_s = 0;                            // whole-attempt limit in seconds; 0 = none
    unsigned retries = 3;                            // extra attempts after a transient failure
    double retry_delay_s = 1;                        // first backoff delay; doubles per attempt
    double retry_max_wait_s = 60;                    // cap on any single wait, Retry-After included
    std::uint64_t max_size = std::uint64_t{1} << 30; // bytes per file; 0 = no limit
    std::string cacert;                              // CA bundle for https; empty = system default
    bool insecure = false;                           // skip TLS certificate verification
    bool content_disposition = false;                // name files after the server's filename
    ExistingPolicy existing = ExistingPolicy::skip;  // a file already at the target path
    bool checksum_sha256 = false;                    // hash each saved file while it streams
    std::uint64_t limit_rate = 0;                    // bytes per second per transfer; 0 = no limit
    // What each request says (issue 13). Headers, Referer and credentials go to the listed
    // URL's origin only, never to another host after a redirect (transfer/redirect_follow.hpp).
    std::vector<std::string> headers;                      // -H "Name: value"; "Name:" drops one
    std::string user_agent = "imgfetch/" IMGFETCH_VERSION; // -A, sent to every host
    std::string referer;                                   // a URL, or "origin"; empty = none
    // Credentials: secrets, never in a log, report or message.
    std::string user;       // -u USER:PASSWORD; empty = none
    bool netrc = false;     // --netrc: look the host up in ~/.netrc
    std::string netrc_file; // --netrc-file: that file instead (implies --netrc); empty = none
    // Cookies and proxies (issue 13 parts 3 and 5).
    std::string cookies_file;           // --cookies: a Netscape cookies.txt loaded at the start
    std::string save_cookies_file;      // --save-cookies: the jar written here at the end (0600)
    std::string proxy;                  // --proxy URL for every transfer; empty = environment's
    std::optional<std::string> noproxy; // --noproxy LIST; unset = the environment's no_proxy
    // What the body must be (issue 14).
    VerifyMode verify = VerifyMode::structure; // --verify structure|none
    ImageFilters filters;                      // --min-width ... --reject-types
    std::string reject_hash_file;              // --reject-hash: sha256s of placeholders
    DedupeMode dedupe = DedupeMode::none;      // --dedupe link
    bool resume = false; // --resume: keep a failed transfer's partial file and continue it
};

// How hard the run presses on servers: workers, or none, and a cap per host.
struct PolitenessOptions {
    unsigned jobs = 8;       // worker threads in pool mode (1..512)
    bool sequential = false; // no pool, no queue: the main thread downloads in order
    unsigned per_host = 0;   // concurrent transfers per host name; 0 = no cap
};

// Where the files and the run's records go.
struct OutputOptions {
    std::string output_dir = "images";
    std::string report_file;      // JSON report path when not empty
    std::string timeline_file;    // SVG Gantt chart of the run when not empty
    std::string failed_list_file; // write the failed URLs here, in list format, when not empty
    std::string json_lines_file;  // --json-lines: one JSON line per finished URL; "-" = stdout
    std::string manifest_file;    // --manifest: sha256sum lines of the files saved
    // Collections (issue 16 parts 1 and 2).
    Layout layout = Layout::flat; // --layout flat|url
    std::string name_template;    // --name-template; empty = the layout's names
    std::string archive_file;     // --archive: SQLite record of what was fetched; empty = none
};

// What the terminal and the log show.
struct LoggingOptions {
    bool quiet = false;   // errors only
    bool verbose = false; // debug output
    std::string log_file; // also log to this file when not empty
    bool progress = true; // live progress bar when stderr is a TTY (--no-progress)
};

// Everything the command line decides, parsed once and then passed around by const&.
struct Options {
    InputOptions input;
    TransferOptions transfer;
    PolitenessOptions politeness;
    OutputOptions outputs;
    LoggingOptions logging;
};

// The outcome of parsing: either options to run with, or an exit code to leave with at once
// (after --help, --version or a usage error, whose text has already been printed).
struct ParsedCommandLine {
    std::optional<Options> options;
    int exit_code = 0;
};

// Parses argv with CLI11 (cli/command_line.cpp). Prints help/version/errors itself. Never
// throws. `stdin_is_tty` decides whether "no LIST" may mean standard input.
ParsedCommandLine parse_command_line(int argc, const char* const* argv, bool stdin_is_tty);

} // namespace imgfetch
