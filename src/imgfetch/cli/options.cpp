#include "imgfetch/cli/options.hpp"

#include <CLI/CLI.hpp>

#include "imgfetch/util/text_escape.hpp"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string_view>

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
  imgfetch urls.txt --existing update     re-fetch only what changed (conditional GET)
  imgfetch urls.txt --failed-list retry.txt; imgfetch retry.txt
  imgfetch urls.txt --shard 0/4           the first of 4 independent slices of the list

Configuration: every option above can also come from an environment variable named
IMGFETCH_ plus the long option in capitals with '_' for '-' (IMGFETCH_JOBS=16,
IMGFETCH_EXISTING=update, IMGFETCH_QUIET=1; -o is IMGFETCH_OUTPUT or IMGFETCH_OUTPUT_DIR)
or from a TOML file given by --config FILE or IMGFETCH_CONFIG (jobs = 16,
existing = "update"). Precedence: command line, then environment, then config file, then
the defaults.

Exit codes:
  0  every URL ended ok, skipped, not_modified or duplicate
  1  at least one URL or list line failed
  2  usage error, unreadable list or unusable output directory
  3  another imgfetch run holds the output directory's lock
  130, 143  interrupted by SIGINT or SIGTERM (completed files are kept))";

constexpr const char* k_env_prefix = "IMGFETCH_";

// "retry-max-wait" -> "IMGFETCH_RETRY_MAX_WAIT".
std::string env_name_for(const std::string& long_name) {
    std::string name = k_env_prefix;
    for (const char c : long_name) {
        name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
}

// CLI11 (2.1) reads the config file before the environment and each fills only options
// still unset, so the file would win over the environment. This formatter drops the file's
// entries for options whose environment variable is set: the environment then fills them,
// and the command line still beats both. Precedence: command line > environment > file.
class EnvironmentFirstConfig : public CLI::ConfigTOML {
public:
    explicit EnvironmentFirstConfig(const CLI::App& app) : m_app(app) {}

    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
        std::vector<CLI::ConfigItem> entries = CLI::ConfigTOML::from_config(input);
        std::erase_if(entries, [this](const CLI::ConfigItem& item) {
            if (!item.parents.empty()) {
                return false; // unknown sections are reported by CLI11 as usual
            }
            const CLI::Option* option = m_app.get_option_no_throw("--" + item.name);
            if (option == nullptr || option->get_envname().empty()) {
                return false;
            }
            const char* value = std::getenv(option->get_envname().c_str());
            return value != nullptr && *value != '\0';
        });
        return entries;
    }

private:
    const CLI::App& m_app;
};

// Help lists each option with its own placeholder only: the IMGFETCH_* names follow one rule,
// explained once in the footer, instead of cluttering every line.
class HelpFormatter : public CLI::Formatter {
public:
    std::string make_option_opts(const CLI::Option* option) const override {
        const std::string& text = option->get_option_text();
        return text.empty() ? std::string() : " " + text;
    }
};

const char* nonempty_env(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value != nullptr && *value != '\0' ? value : nullptr;
}

// Gives every named option (but --help, --version and --config) its IMGFETCH_* variable. An
// option with two long names (-o: --output and --output-dir) answers to both variables, so it
// binds the one that is set; both set to different values is an error, returned as its text.
std::string bind_environment(CLI::App& app) {
    for (CLI::Option* option : app.get_options()) {
        const auto& names = option->get_lnames();
        if (names.empty() || names.front() == "help" || names.front() == "version" ||
            names.front() == "config") {
            continue;
        }
        std::string bound = env_name_for(names.front());
        for (std::size_t i = 1; i < names.size(); ++i) {
            const std::string alias = env_name_for(names[i]);
            const char* alias_value = nonempty_env(alias);
            if (alias_value == nullptr) {
                continue;
            }
            const char* bound_value = nonempty_env(bound);
            if (bound_value != nullptr && std::string_view(bound_value) != alias_value) {
                return "the environment sets both " + bound + "=" + printable(bound_value) +
                       " and " + alias + "=" + printable(alias_value) + "; unset one";
            }
            bound = alias;
        }
        option->envname(bound);
    }
    return {};
}

// After a usage error: which values came from the environment, so a bad IMGFETCH_JOBS is
// not mistaken for a bad command line.
void print_environment_options(const CLI::App& app) {
    for (const CLI::Option* option : app.get_options()) {
        const std::string& name = option->get_envname();
        const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
        if (value != nullptr && *value != '\0') {
            std::cerr << "imgfetch: note: the environment sets " << name << "=" << printable(value)
                      << "\n";
        }
    }
}

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
    app.formatter(std::make_shared<HelpFormatter>());
    app.get_formatter()->column_width(34);

    app.add_option("LIST", options.lists,
                   "URL list files, read in order; '-' or none reads standard input");
    app.add_option("-o,--output,--output-dir", options.output_dir,
                   "Directory for the files, created with its parents (default: images)")
        ->option_text("DIR");
    app.add_option("-j,--jobs", options.jobs,
                   "Number of worker threads, 1..512 (default: 8); fewer when the "
                   "open-file limit is too low, with a warning")
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

    const std::map<std::string, ExistingPolicy> existing_names{
        {"skip", ExistingPolicy::skip},
        {"overwrite", ExistingPolicy::overwrite},
        {"update", ExistingPolicy::update}};
    app.add_option("--existing", options.existing,
                   "A file already at the target path: skip (no request), overwrite, or update "
                   "(conditional GET: 304 keeps it) (default: skip)")
        ->transform(CLI::CheckedTransformer(existing_names, CLI::ignore_case))
        ->option_text("MODE");
    app.add_option("--failed-list", options.failed_list_file,
                   "Write the URLs that failed here, as a list (URL NAME) to run again")
        ->option_text("FILE");
    std::string checksum = "none";
    app.add_option("--checksum", checksum,
                   "Add each saved file's checksum, computed while streaming, to the report: "
                   "sha256 or none (default: none)")
        ->check(CLI::IsMember({"sha256", "none"}, CLI::ignore_case))
        ->option_text("ALGO");
    bool no_progress = false;
    app.add_flag("--no-progress", no_progress,
                 "No live progress bar (it is only ever drawn when stderr is a terminal)");
    app.add_option("--timeline", options.timeline_file,
                   "Draw the run as an SVG Gantt chart: a lane per worker, a bar per download")
        ->option_text("FILE.svg");
    app.add_option("--per-host", options.per_host,
                   "At most N transfers at once to one host name; 0 = no cap (default: 0)")
        ->check(CLI::Range(0U, 512U))
        ->option_text("N");
    std::string limit_rate_text;
    app.add_option("--limit-rate", limit_rate_text,
                   "Cap each transfer at RATE bytes per second; k, M, G suffixes (default: none)")
        ->check([](const std::string& text) {
            return parse_size(text) ? std::string() : "not a rate: " + text;
        })
        ->option_text("RATE");
    std::string shard_text;
    app.add_option("--shard", shard_text,
                   "Keep only the URLs whose hash falls in shard K (0-based) of N; 'auto' reads "
                   "Kubernetes' JOB_COMPLETION_INDEX or Slurm's SLURM_ARRAY_TASK_ID")
        ->check([](const std::string& text) {
            return text == "auto" || parse_shard(text) ? std::string()
                                                       : "not K/N with 0 <= K < N: " + text;
        })
        ->option_text("K/N|auto");
    std::optional<unsigned> shards;
    app.add_option("--shards", shards,
                   "With --shard auto: the number of shards (a Kubernetes Job's completions)")
        ->check(CLI::Range(1U, 1'000'000U))
        ->option_text("N");

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
    app.config_formatter(std::make_shared<EnvironmentFirstConfig>(app));
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

    if (!max_size_text.empty()) {
        options.max_size = *parse_size(max_size_text);
    }
    if (!limit_rate_text.empty()) {
        options.limit_rate = *parse_size(limit_rate_text);
    }
    options.checksum_sha256 = checksum == "sha256"; // IsMember gives the listed spelling
    options.progress = !no_progress;
    if (config->count() > 0 || env_config) {
        options.config_file = config->as<std::string>();
    }
    if (shard_text == "auto") {
        const ShardFromEnv found =
            shard_from_environment(shards, [](const char* name) { return std::getenv(name); });
        if (!found.shard) {
            std::cerr << "imgfetch: --shard auto: " << found.error << "\n";
            return {std::nullopt, 2};
        }
        options.shard = found.shard;
    } else if (!shard_text.empty()) {
        options.shard = parse_shard(shard_text);
        if (shards) {
            std::cerr << "imgfetch: --shards is only for --shard auto\n";
            return {std::nullopt, 2};
        }
    } else if (shards) {
        std::cerr << "imgfetch: --shards N needs --shard auto (or give the shard as --shard K/N)\n";
        return {std::nullopt, 2};
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
