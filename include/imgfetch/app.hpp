#pragma once

#include <stop_token>

#include "imgfetch/options.hpp"

namespace imgfetch {

// Runs one whole download job and returns the process exit code (see exit_code.hpp).
// `stop` (SIGINT/SIGTERM) ends it early but in order: summary and report still appear.
// Throws SetupError (or LockHeld) for fatal setup problems. Requires CurlGlobal.
int run(const Options& options, std::stop_token stop = {});

} // namespace imgfetch
