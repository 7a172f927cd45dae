#pragma once

#include <memory>
#include <string>

namespace CLI {
class App;
class Config;
} // namespace CLI

namespace imgfetch {

// Gives every named option of `app` (but --help, --version and --config) its IMGFETCH_*
// variable: "retry-max-wait" -> IMGFETCH_RETRY_MAX_WAIT. An option with two long names (-o:
// --output and --output-dir) answers to both variables and binds the one that is set; both
// set to different values is an error, returned as its text (empty when all is well).
std::string bind_environment(CLI::App& app);

// The --config file reader that keeps the precedence command line > environment > file
// (CLI11 alone would let the file beat the environment). `app` must outlive it.
std::shared_ptr<CLI::Config> environment_first_config(const CLI::App& app);

// After a usage error: prints which values came from the environment to stderr, so a bad
// IMGFETCH_JOBS is not mistaken for a bad command line. Secret values (IMGFETCH_USER,
// IMGFETCH_HEADER) are named, not shown.
void print_environment_options(const CLI::App& app);

} // namespace imgfetch
