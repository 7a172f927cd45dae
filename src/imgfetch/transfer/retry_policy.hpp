#pragma once

// Private to the transfer layer (it names libcurl's CURLcode): which failures are worth
// another attempt, and how long to wait before it.

#include <curl/curl.h>

#include <chrono>
#include <optional>
#include <stop_token>

#include "imgfetch/transfer/retry_advice.hpp"

namespace imgfetch {

// Pure: a libcurl failure worth another attempt, because the network or the server had a bad
// moment (refused or reset connections, timeouts, a TLS handshake cut short, HTTP/2 framing).
// Not: DNS failures, TLS verification, bad protocols or redirects, our own aborts.
bool is_transient_curl_error(CURLcode code);

// Pure: an HTTP status worth another attempt: 408, 429 and every 5xx.
bool is_transient_http_status(long http_status);

// Pure: the advice for a response with a non-2xx `http_status` and the server's Retry-After
// (already parsed by libcurl, CURLINFO_RETRY_AFTER; nothing or <= 0 when absent).
RetryAdvice advice_for_http_status(long http_status, std::optional<double> retry_after_s);

// Pure: seconds to wait after `failed_attempts` failed attempts (1, 2, ...) before the next.
// The server's Retry-After wins when given; otherwise base_s * 2^(failed_attempts-1) with
// "equal jitter" (jitter in [0,1] picks a point in the upper half). Never more than max_wait_s.
double retry_delay_seconds(unsigned failed_attempts, std::optional<double> retry_after_s,
                           double base_s, double max_wait_s, double jitter);

// Waits `seconds` unless `stop` is requested first. Returns false when stopped. Blocks only
// the calling thread; a backoff timer, not a synchronisation device.
bool wait_unless_stopped(const std::stop_token& stop, double seconds);

} // namespace imgfetch
