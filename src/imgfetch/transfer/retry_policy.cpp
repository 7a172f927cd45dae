#include "imgfetch/transfer/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>

namespace imgfetch {

bool is_transient_curl_error(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

bool is_transient_http_status(long http_status) {
    return http_status == 408 || http_status == 429 || (http_status >= 500 && http_status < 600);
}

RetryAdvice advice_for_http_status(long http_status, std::optional<double> retry_after_s) {
    RetryAdvice advice;
    advice.retryable = is_transient_http_status(http_status);
    if (retry_after_s && *retry_after_s > 0) {
        advice.retry_after_s = retry_after_s;
    }
    return advice;
}

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
