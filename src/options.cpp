#include "imgfetch/options.hpp"

#include <CLI/CLI.hpp>

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
  2  usage error, unreadable list or unusable output directory)";

} // namespace

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

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e); // prints help, version or the error
        return {std::nullopt, code == 0 ? 0 : 2};
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
