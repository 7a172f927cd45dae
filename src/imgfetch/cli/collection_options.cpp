// The options of collections that live for years (issue 16): where files go under DIR, the
// download archive, resume.
#include <CLI/CLI.hpp>

#include <map>
#include <stdexcept>
#include <string>

#include "imgfetch/cli/option_groups.hpp"
#include "imgfetch/list/name_template.hpp"

namespace imgfetch {

void add_collection_options(CLI::App& app, Options& options) {
    OutputOptions& outputs = options.outputs;
    const std::map<std::string, Layout> layouts{{"flat", Layout::flat}, {"url", Layout::url}};
    app.add_option("--layout", outputs.layout,
                   "Where a file goes under DIR: flat (DIR/name) or url (DIR/host/path/name, "
                   "like wget -x) (default: flat)")
        ->transform(CLI::CheckedTransformer(layouts, CLI::ignore_case))
        ->option_text("flat|url");
    app.add_option("--name-template", outputs.name_template,
                   "Name each file by TEMPLATE under DIR, with {host} {path} {dir} {name} {stem} "
                   "{ext} {line} {sha256}; '/' makes folders")
        ->option_text("TEMPLATE");
    app.add_option("--archive", outputs.archive_file,
                   "Record every file fetched in this SQLite database; a URL found there is "
                   "skipped, even when its file was moved or deleted")
        ->option_text("FILE");
    app.add_flag("--resume", options.transfer.resume,
                 "Keep a failed transfer's partial file (by the URL) and continue it on the next "
                 "attempt or run with Range and If-Range");
}

std::string finish_collection_options(Options& options) {
    OutputOptions& outputs = options.outputs;
    if (outputs.layout == Layout::url) {
        if (!outputs.name_template.empty()) {
            return "--layout url and --name-template both say where files go: give one";
        }
        outputs.name_template = k_url_layout_template;
    }
    if (outputs.name_template.empty()) {
        return {};
    }
    try {
        const NameTemplate checked(outputs.name_template);
        // Named by content: the digest is computed while the body streams.
        options.transfer.checksum_sha256 =
            options.transfer.checksum_sha256 || checked.uses_sha256();
    } catch (const std::invalid_argument& e) {
        return std::string("--name-template: ") + e.what();
    }
    return {};
}

} // namespace imgfetch
