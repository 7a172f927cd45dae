#pragma once

#include <memory>

#include "imgfetch/cli/options.hpp"

namespace imgfetch {

class StatusLine;

// Installs the default spdlog logger: stderr (colour on a TTY) at warn/info/debug per
// -q/-v, plus a timestamped file sink for --log-file. Sinks are thread-safe. Call from main()
// before any worker starts. Throws SetupError.
// When a progress bar is wanted (progress_bar_wanted(): stderr is a terminal, no -q, no
// --no-progress), console lines go through the returned StatusLine, which keeps the bar below
// them; pass it to run(). Otherwise returns null and stderr is spdlog's colour sink alone.
std::shared_ptr<StatusLine> setup_logging(const LoggingOptions& logging);

} // namespace imgfetch
