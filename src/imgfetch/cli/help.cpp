#include "imgfetch/cli/help.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

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
  imgfetch images.csv --name-column file --sha256-column sha256   a CSV list with a header
  gallery-dl -g URL | imgfetch - --json-lines - | jq .path    results as they happen
  imgfetch urls.txt -o out --manifest out.sha256; cd out && sha256sum -c ../out.sha256

Configuration: every option above can also come from an environment variable named
IMGFETCH_ plus the long option in capitals with '_' for '-' (IMGFETCH_JOBS=16,
IMGFETCH_EXISTING=update, IMGFETCH_QUIET=1; -o is IMGFETCH_OUTPUT or IMGFETCH_OUTPUT_DIR)
or from a TOML file given by --config FILE or IMGFETCH_CONFIG (jobs = 16,
existing = "update"). Precedence: command line, then environment, then config file, then
the defaults.

Exit codes:
  0  every URL ended ok, skipped, not_modified, duplicate or filtered
  1  at least one URL or list line failed
  2  usage error, unreadable list, unusable output directory, or an output
     (--report, --json-lines, --manifest...) that could not be written
  3  another imgfetch run holds the output directory's lock
  130, 143  interrupted by SIGINT or SIGTERM (completed files are kept))";

// --help lists the options in this order, whatever order the groups register them in
// (command_line.cpp): the order a reader learns them in. An option missing here comes last.
constexpr std::array<std::string_view, 64> k_help_order{"help",
                                                        "version",
                                                        "LIST",
                                                        "input-format",
                                                        "url-column",
                                                        "name-column",
                                                        "sha256-column",
                                                        "page",
                                                        "max-page-size",
                                                        "probe-links",
                                                        "output",
                                                        "jobs",
                                                        "sequential",
                                                        "any-type",
                                                        "quiet",
                                                        "verbose",
                                                        "log-file",
                                                        "report",
                                                        "connect-timeout",
                                                        "stall-timeout",
                                                        "timeout",
                                                        "retries",
                                                        "retry-delay",
                                                        "retry-max-wait",
                                                        "max-size",
                                                        "verify",
                                                        "min-width",
                                                        "min-height",
                                                        "min-pixels",
                                                        "max-pixels",
                                                        "min-size",
                                                        "types",
                                                        "reject-types",
                                                        "cacert",
                                                        "insecure",
                                                        "content-disposition",
                                                        "layout",
                                                        "name-template",
                                                        "existing",
                                                        "archive",
                                                        "resume",
                                                        "failed-list",
                                                        "checksum",
                                                        "reject-hash",
                                                        "dedupe",
                                                        "no-progress",
                                                        "timeline",
                                                        "json-lines",
                                                        "manifest",
                                                        "per-host",
                                                        "limit-rate",
                                                        "header",
                                                        "user-agent",
                                                        "referer",
                                                        "user",
                                                        "netrc",
                                                        "netrc-file",
                                                        "cookies",
                                                        "save-cookies",
                                                        "proxy",
                                                        "noproxy",
                                                        "shard",
                                                        "shards",
                                                        "config"};

std::size_t help_rank(const CLI::Option* option) {
    const auto& names = option->get_lnames();
    const std::string name = names.empty() ? option->get_name() : names.front();
    const auto* found = std::find(k_help_order.begin(), k_help_order.end(), name);
    return static_cast<std::size_t>(found - k_help_order.begin());
}

std::vector<const CLI::Option*> in_help_order(std::vector<const CLI::Option*> options) {
    std::stable_sort(
        options.begin(), options.end(),
        [](const CLI::Option* a, const CLI::Option* b) { return help_rank(a) < help_rank(b); });
    return options;
}

// Help lists each option with its own placeholder only: the IMGFETCH_* names follow one rule,
// explained once in the footer, instead of cluttering every line.
class HelpFormatter : public CLI::Formatter {
public:
    std::string make_group(std::string group, bool is_positional,
                           std::vector<const CLI::Option*> options) const override {
        return CLI::Formatter::make_group(std::move(group), is_positional,
                                          in_help_order(std::move(options)));
    }

    std::string make_option_opts(const CLI::Option* option) const override {
        const std::string& text = option->get_option_text();
        return text.empty() ? std::string() : " " + text;
    }
};

} // namespace

std::vector<const CLI::Option*> options_in_help_order(const CLI::App& app) {
    return in_help_order(app.get_options());
}

void set_up_help(CLI::App& app) {
    app.description(k_description);
    app.footer(k_footer);
    app.set_version_flag("-V,--version", "imgfetch " IMGFETCH_VERSION);
    app.formatter(std::make_shared<HelpFormatter>());
    app.get_formatter()->column_width(34);
}

} // namespace imgfetch
