// parse_command_line(): CLI11 binds each option group's fields directly (defaults live in
// options.hpp only); the few values that need a second look after parsing (the shard, the
// checksum name, --no-progress, a missing LIST) are finished in finish().
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/cli/environment.hpp"
#include "imgfetch/cli/help.hpp"
#include "imgfetch/cli/option_groups.hpp"
#include "imgfetch/cli/options.hpp"
#include "imgfetch/cli/parse_size.hpp"
#include "imgfetch/util/text_escape.hpp" // printable

namespace imgfetch {

namespace {

// What the command line gives as text and parse_command_line turns into Options afterwards.
struct Pending {
    std::string shard_text;         // "K/N" or "auto"
    std::optional<unsigned> shards; // --shards, with --shard auto only
    std::string checksum = "none";  // "sha256" or "none"
    bool no_progress = false;
};

void add_input_options(CLI::App& app, InputOptions& input, Pending& pending) {
    app.add_option("LIST", input.lists,
                   "URL list files, read in order; '-' or none reads standard input");
    app.add_option("--shard", pending.shard_text,
                   "Keep only the URLs whose hash falls in shard K (0-based) of N; 'auto' reads "
                   "Kubernetes' JOB_COMPLETION_INDEX or Slurm's SLURM_ARRAY_TASK_ID")
        ->check([](const std::string& text) {
            return text == "auto" || parse_shard(text) ? std::string()
                                                       : "not K/N with 0 <= K < N: " + text;
        })
        ->option_text("K/N|auto");
    app.add_option("--shards", pending.shards,
                   "With --shard auto: the number of shards (a Kubernetes Job's completions)")
        ->check(CLI::Range(1U, 1'000'000U))
        ->option_text("N");
    add_page_options(app, input);
}

void add_politeness_options(CLI::App& app, PolitenessOptions& politeness) {
    app.add_option("-j,--jobs", politeness.jobs,
                   "Number of worker threads, 1..512 (default: 8); fewer when the "
                   "open-file limit is too low, with a warning")
        ->check(CLI::Range(1U, 512U))
        ->option_text("N");
    app.add_flag("--sequential", politeness.sequential,
                 "No pool: download one URL after another in the main thread");
    app.add_option("--per-host", politeness.per_host,
                   "At most N transfers at once to one host name; 0 = no cap (default: 0)")
        ->check(CLI::Range(0U, 512U))
        ->option_text("N");
}

// Connection, timeouts and retries.
void add_timing_options(CLI::App& app, TransferOptions& transfer) {
    app.add_option("--connect-timeout", transfer.connect_timeout_s,
                   "Seconds allowed to establish a connection (default: 10)")
        ->check(CLI::Range(1L, 3600L))
        ->option_text("S");
    app.add_option("--stall-timeout", transfer.stall_timeout_s,
                   "Fail a download when no byte arrives for S seconds (default: 30)")
        ->check(CLI::Range(1L, 3600L))
        ->option_text("S");
    app.add_option("--timeout", transfer.timeout_s,
                   "Fail an attempt that takes longer than S seconds in all (default: none)")
        ->check(CLI::Range(0.0, 86400.0))
        ->option_text("S");
    app.add_option("--retries", transfer.retries,
                   "Extra attempts after a transient failure: connection error, timeout, HTTP "
                   "408, 429 or 5xx (default: 3)")
        ->check(CLI::Range(0U, 100U))
        ->option_text("N");
    app.add_option("--retry-delay", transfer.retry_delay_s,
                   "First backoff delay in seconds, doubled per attempt, with jitter (default: 1)")
        ->check(CLI::Range(0.0, 3600.0))
        ->option_text("S");
    app.add_option("--retry-max-wait", transfer.retry_max_wait_s,
                   "Longest wait before a retry, Retry-After included (default: 60)")
        ->check(CLI::Range(0.0, 86400.0))
        ->option_text("S");
    app.add_option("--limit-rate", transfer.limit_rate,
                   "Cap each transfer at RATE bytes per second; k, M, G suffixes (default: none)")
        ->transform(size_in_bytes("rate"))
        ->option_text("RATE");
}

// What is kept, and how the server is trusted.
void add_body_options(CLI::App& app, TransferOptions& transfer, Pending& pending) {
    app.add_flag("--any-type", transfer.any_type, "Keep bodies that are not images too");
    app.add_option("--max-size", transfer.max_size,
                   "Fail a download whose body grows beyond SIZE bytes; k, M, G suffixes; 0 = no "
                   "limit (default: 1G)")
        ->transform(size_in_bytes("size"))
        ->option_text("SIZE");
    app.add_option("--cacert", transfer.cacert,
                   "CA certificates (PEM) to verify https servers with")
        ->check(CLI::ExistingFile)
        ->option_text("FILE");
    app.add_flag("-k,--insecure", transfer.insecure,
                 "Do not verify https certificates (dangerous; for testing)");
    app.add_flag("--content-disposition", transfer.content_disposition,
                 "Name files after the server's Content-Disposition filename, sanitized");
    const std::map<std::string, ExistingPolicy> existing_names{
        {"skip", ExistingPolicy::skip},
        {"overwrite", ExistingPolicy::overwrite},
        {"update", ExistingPolicy::update}};
    app.add_option("--existing", transfer.existing,
                   "A file already at the target path: skip (no request), overwrite, or update "
                   "(conditional GET: 304 keeps it) (default: skip)")
        ->transform(CLI::CheckedTransformer(existing_names, CLI::ignore_case))
        ->option_text("MODE");
    app.add_option("--checksum", pending.checksum,
                   "Add each saved file's checksum, computed while streaming, to the report: "
                   "sha256 or none (default: none)")
        ->check(CLI::IsMember({"sha256", "none"}, CLI::ignore_case))
        ->option_text("ALGO");
}

void add_output_options(CLI::App& app, OutputOptions& outputs) {
    app.add_option("-o,--output,--output-dir", outputs.output_dir,
                   "Directory for the files, created with its parents (default: images)")
        ->option_text("DIR");
    app.add_option("--report", outputs.report_file, "Write a JSON report of the run here")
        ->option_text("FILE");
    app.add_option("--failed-list", outputs.failed_list_file,
                   "Write the URLs that failed here, as a list (URL NAME) to run again")
        ->option_text("FILE");
    app.add_option("--timeline", outputs.timeline_file,
                   "Draw the run as an SVG Gantt chart: a lane per worker, a bar per download")
        ->option_text("FILE.svg");
    app.add_option("--json-lines", outputs.json_lines_file,
                   "Write each finished URL's report entry as one JSON line, flushed at once, in "
                   "list order; then a {\"summary\": ...} line; '-' is standard output (nothing "
                   "else is written there)")
        ->option_text("FILE|-");
    app.add_option("--manifest", outputs.manifest_file,
                   "Write a sha256sum line for every file saved, named relative to DIR, so that "
                   "'cd DIR && sha256sum -c FILE' checks them (implies --checksum sha256)")
        ->option_text("FILE");
}

void add_logging_options(CLI::App& app, LoggingOptions& logging, Pending& pending) {
    auto* quiet = app.add_flag("-q,--quiet", logging.quiet, "Print errors only");
    app.add_flag("-v,--verbose", logging.verbose, "Print debug output (one line per file)")
        ->excludes(quiet);
    app.add_option("--log-file", logging.log_file, "Also write the log, with timestamps, here")
        ->option_text("FILE");
    app.add_flag("--no-progress", pending.no_progress,
                 "No live progress bar (it is only ever drawn when stderr is a terminal)");
}

// --shard K/N, or --shard auto with the index (and maybe the count) from the environment.
// An error text, or empty.
std::string finish_shard(InputOptions& input, const Pending& pending) {
    if (pending.shard_text == "auto") {
        const ShardFromEnv found = shard_from_environment(
            pending.shards, [](const char* name) { return std::getenv(name); });
        if (!found.shard) {
            return "--shard auto: " + found.error;
        }
        input.shard = found.shard;
    } else if (!pending.shard_text.empty()) {
        if (pending.shards) {
            return "--shards is only for --shard auto";
        }
        input.shard = parse_shard(pending.shard_text);
    } else if (pending.shards) {
        return "--shards N needs --shard auto (or give the shard as --shard K/N)";
    }
    return {};
}

// The values CLI11 could not store directly. An error text, or empty.
std::string finish(Options& options, const Pending& pending, bool stdin_is_tty) {
    // IsMember gives the spelling. --dedupe link and a manifest need every saved file's digest:
    // they turn the checksum on.
    options.transfer.checksum_sha256 = pending.checksum == "sha256" ||
                                       options.transfer.dedupe == DedupeMode::link ||
                                       !options.outputs.manifest_file.empty();
    options.logging.progress = !pending.no_progress;
    if (std::string error = finish_collection_options(options); !error.empty()) {
        return error;
    }
    if (std::string error = finish_shard(options.input, pending); !error.empty()) {
        return error;
    }
    if (options.input.lists.empty() && options.input.pages.empty()) {
        if (stdin_is_tty) {
            return "no LIST given and standard input is a terminal\n"
                   "Run with --help for more information.";
        }
        options.input.lists.emplace_back("-");
    }
    return {};
}

} // namespace

ParsedCommandLine parse_command_line(int argc, const char* const* argv, bool stdin_is_tty) {
    Options options;
    Pending pending;
    CLI::App app{"", "imgfetch"};
    set_up_help(app);
    add_input_options(app, options.input, pending);
    add_list_format_options(app, options.input.list_format);
    add_politeness_options(app, options.politeness);
    add_timing_options(app, options.transfer);
    add_body_options(app, options.transfer, pending);
    add_content_options(app, options.transfer);
    add_image_options(app, options.transfer);
    add_request_options(app, options.transfer);
    add_cookie_and_proxy_options(app, options.transfer);
    add_output_options(app, options.outputs);
    add_collection_options(app, options);
    add_logging_options(app, options.logging, pending);

    if (const std::string conflict = bind_environment(app); !conflict.empty()) {
        std::cerr << "imgfetch: " << conflict << "\n";
        return {std::nullopt, 2};
    }
    const char* config_from_env = std::getenv("IMGFETCH_CONFIG");
    const bool env_config = config_from_env != nullptr && *config_from_env != '\0';
    auto* config = app.set_config("--config", env_config ? config_from_env : "",
                                  "Read options from this TOML file (key = value, long option "
                                  "names); also IMGFETCH_CONFIG",
                                  /*config_required=*/env_config);
    config->option_text("FILE");
    app.config_formatter(environment_first_config(app));
    app.allow_config_extras(CLI::config_extras_mode::error); // a typo in the file is an error

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e); // prints help, version or the error
        if (code != 0) {
            print_environment_options(app);
        }
        return {std::nullopt, code == 0 ? 0 : 2};
    }
    if (config->count() > 0 || env_config) {
        options.input.config_file = config->as<std::string>();
    }
    if (const std::string error = finish(options, pending, stdin_is_tty); !error.empty()) {
        std::cerr << "imgfetch: " << error << "\n";
        return {std::nullopt, 2};
    }
    return {std::move(options), 0};
}

} // namespace imgfetch
