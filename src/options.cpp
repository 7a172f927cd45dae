#include "imgfetch/options.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>

namespace imgfetch {

namespace {

constexpr const char* k_description =
    "imgfetch " IMGFETCH_VERSION " - download every image in a URL list, concurrently.\n"
    "\n"
    "Each LIST line is \"URL\" or \"URL NAME\"; blank lines and # comments are skipped.\n"
    "Files are saved in DIR under a name taken from the URL (or NAME), made unique.\n";

constexpr const char* k_footer = R"(Examples:
  imgfetch urls.txt -j 8                  8 worker threads, files land in ./images
  imgfetch urls.txt --sequential          one by one in the main thread (the baseline)
  cat urls.txt | imgfetch - -o out -q --report run.json

Exit codes:
  0  every URL ended ok (or was a duplicate of one that did)
  1  at least one URL or list line failed
  2  usage error, unreadable list or unusable output directory
  3  another imgfetch run holds the output directory's lock
  130, 143  interrupted by SIGINT or SIGTERM (completed files are kept))";

} // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        const auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    if (i == 0) {
        return std::nullopt;
    }
    std::string_view unit = text.substr(i);
    unsigned shift = 0;
    if (!unit.empty()) {
        switch (unit.front()) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        default:
            break;
        }
    }
    if (shift != 0) {
        unit.remove_prefix(1);
        if (unit == "iB" || unit == "ib") {
            unit = {};
        }
    }
    if (unit == "B" || unit == "b") {
        unit = {};
    }
    if (!unit.empty()) {
        return std::nullopt;
    }
    if (shift != 0 && value > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return value << shift;
}

ParsedCommandLine parse_command_line(int argc, const char* const* argv, bool stdin_is_tty) {
    Options options;
    CLI::App app{k_description, "imgfetch"};
    app.footer(k_footer);
    app.set_version_flag("-V,--version", "imgfetch " IMGFETCH_VERSION);
    app.get_formatter()->column_width(34);

    app.add_option("LIST", options.lists,
                   "URL list files, read in order; '-' or none reads standard input");
    app.add_option("-o,--output", options.output_dir,
                   "Directory for the files, created with its parents (default: images)")
        ->option_text("DIR");
    app.add_option("-j,--jobs", options.jobs, "Number of worker threads, 1..512 (default: 8)")
        ->check(CLI::Range(1U, 512U))
        ->option_text("N");
    app.add_flag("--sequential", options.sequential,
                 "No pool: download one URL after another in the main thread");
    app.add_flag("--any-type", options.any_type, "Keep bodies that are not images too");
    auto* quiet = app.add_flag("-q,--quiet", options.quiet, "Print errors only");
    app.add_flag("-v,--verbose", options.verbose, "Print debug output (one line per file)")
        ->excludes(quiet);
    app.add_option("--log-file", options.log_file, "Also write the log, with timestamps, here")
        ->option_text("FILE");
    app.add_option("--report", options.report_file, "Write a JSON report of the run here")
        ->option_text("FILE");
    app.add_option("--connect-timeout", options.connect_timeout_s,
                   "Seconds allowed to establish a connection (default: 10)")
        ->check(CLI::Range(1L, 3600L))
        ->option_text("S");
    app.add_option("--stall-timeout", options.stall_timeout_s,
                   "Fail a download when no byte arrives for S seconds (default: 30)")
        ->check(CLI::Range(1L, 3600L))
        ->option_text("S");

    app.add_option("--timeout", options.timeout_s,
                   "Fail an attempt that takes longer than S seconds in all (default: none)")
        ->check(CLI::Range(0.0, 86400.0))
        ->option_text("S");
    app.add_option("--retries", options.retries,
                   "Extra attempts after a transient failure: connection error, timeout, HTTP "
                   "408, 429 or 5xx (default: 3)")
        ->check(CLI::Range(0U, 100U))
        ->option_text("N");
    app.add_option("--retry-delay", options.retry_delay_s,
                   "First backoff delay in seconds, doubled per attempt, with jitter (default: 1)")
        ->check(CLI::Range(0.0, 3600.0))
        ->option_text("S");
    app.add_option("--retry-max-wait", options.retry_max_wait_s,
                   "Longest wait before a retry, Retry-After included (default: 60)")
        ->check(CLI::Range(0.0, 86400.0))
        ->option_text("S");
    std::string max_size_text;
    app.add_option("--max-size", max_size_text,
                   "Fail a download whose body grows beyond SIZE bytes; k, M, G suffixes; 0 = no "
                   "limit (default: 1G)")
        ->check([](const std::string& text) {
            return parse_size(text) ? std::string() : "not a size: " + text;
        })
        ->option_text("SIZE");
    app.add_option("--cacert", options.cacert, "CA certificates (PEM) to verify https servers with")
        ->check(CLI::ExistingFile)
        ->option_text("FILE");
    app.add_flag("-k,--insecure", options.insecure,
                 "Do not verify https certificates (dangerous; for testing)");
    app.add_flag("--content-disposition", options.content_disposition,
                 "Name files after the server's Content-Disposition filename, sanitized");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e); // prints help, version or the error
        return {std::nullopt, code == 0 ? 0 : 2};
    }

    if (!max_size_text.empty()) {
        options.max_size = *parse_size(max_size_text);
    }
    if (options.lists.empty()) {
        if (stdin_is_tty) {
            std::cerr << "imgfetch: no LIST given and standard input is a terminal\n"
                      << "Run with --help for more information.\n";
            return {std::nullopt, 2};
        }
        options.lists.emplace_back("-");
    }
    return {std::move(options), 0};
}

} // namespace imgfetch
