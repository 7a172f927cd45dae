#pragma once

#include <filesystem>

#include "imgfetch/cli/options.hpp"

namespace imgfetch {

// The netrc file a run takes credentials from: --netrc-file's, else ~/.netrc with --netrc
// ($HOME's; libcurl looks there too), else none (empty). Thread-safe (reads the environment).
std::filesystem::path netrc_path(const TransferOptions& settings);

// One warning when that file is readable by its group or others (files/private_file.hpp);
// nothing otherwise, and nothing without --netrc or --netrc-file. Never logs its contents.
// Call once per run, before any request.
void warn_if_netrc_readable_by_others(const TransferOptions& settings);

} // namespace imgfetch
