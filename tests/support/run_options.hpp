#pragma once

#include <filesystem>
#include <string>

#include "imgfetch/cli/options.hpp"

namespace imgfetch::test {

// Options for an in-process run (imgfetch::run) of the list file `list`, saving into `dir / out`
// with a JSON report at `dir / (out + ".json")`: the command line's defaults, but no progress bar
// and no retries (a failure must show, not be retried away). Tests set the rest by name.
inline Options run_options(const std::string& list, const std::filesystem::path& dir,
                           const std::string& out) {
    Options options;
    options.input.lists = {list};
    options.outputs.output_dir = (dir / out).string();
    options.outputs.report_file = (dir / (out + ".json")).string();
    options.transfer.retries = 0;
    options.logging.progress = false;
    return options;
}

} // namespace imgfetch::test
