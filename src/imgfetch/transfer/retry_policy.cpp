#include "imgfetch/transfer/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>

namespace imgfetch {

double retry_delay_seconds(unsigned failed_attempts, std::optional<double> retry_after_s,
                           double base_s, double max_wait_s, double jitter) {
    if (retry_after_s) {
        return std::clamp(*retry_after_s, 0.0, max_wait_s);
    }
    const unsigned exponent = std::min(failed_attempts == 0 ? 0U : failed_attempts - 1, 30U);
    const double backoff =
        std::min(max_wait_s, base_s * std::ldexp(1.0, static_cast<int>(exponent)));
    return std::clamp(backoff * (0.5 + 0.5 * std::clamp(jitter, 0.0, 1.0)), 0.0, max_wait_s);
}

bool wait_unless_stopped(const std::stop_token& stop, double seconds) {
    // A private mutex and condition: condition_variable_any wakes on request_stop() through
    // the stop token, and nothing else ever notifies it.
    std::mutex mutex;
    std::condition_variable_any wakeup;
    std::unique_lock lock(mutex);
    wakeup.wait_for(lock, stop, std::chrono::duration<double>(seconds), [] { return false; });
    return !stop.stop_requested();
}

} // namespace imgfetch
