#pragma once

#include "imgfetch/options.hpp"

namespace imgfetch {

// Runs one whole download job and returns the process exit code (see exit_code.hpp).
// Throws SetupError for fatal setup problems. Requires CurlGlobal and logging to be set up.
int run(const Options& options);

} // namespace imgfetch
