#pragma once

#include <chrono>
#include <optional>
#include <stop_token>

namespace imgfetch {

// Pure: seconds to wait after `failed_attempts` failed attempts (1, 2, ...) before the next.
// The server's Retry-After wins when given; otherwise base_s * 2^(failed_attempts-1) with
// "equal jitter" (jitter in [0,1] picks a point in the upper half). Never more than max_wait_s.
double retry_delay_seconds(unsigned failed_attempts, std::optional<double> retry_after_s,
                           double base_s, double max_wait_s, double jitter);

// Waits `seconds` unless `stop` is requested first. Returns false when stopped. Blocks only
// the calling thread; a backoff timer, not a synchronisation device.
bool wait_unless_stopped(const std::stop_token& stop, double seconds);

} // namespace imgfetch
