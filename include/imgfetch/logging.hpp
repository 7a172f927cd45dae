#pragma once

#include "imgfetch/options.hpp"

namespace imgfetch {

// Installs the default spdlog logger: stderr (colour on a TTY) at warn/info/debug per
// -q/-v, plus a timestamped file sink for --log-file. Sinks are spdlog's thread-safe _mt
// sinks. Call from main() before any worker starts. Throws SetupError.
void setup_logging(const Options& options);

} // namespace imgfetch
