#pragma once

#include <stop_token>

#include "imgfetch/cli/options.hpp"

namespace imgfetch {

class StatusLine;

// Runs one whole download job and returns the process exit code (see exit_code.hpp).
// `stop` (SIGINT/SIGTERM) ends it early but in order: summary and report still appear.
// A live progress bar is drawn on `console` (from setup_logging()) while the downloads run,
// and erased before the summary; none when it is null.
// Throws SetupError (or LockHeld) for fatal setup problems. Requires CurlGlobal.
int run(const Options& options, std::stop_token stop = {}, StatusLine* console = nullptr);

} // namespace imgfetch
