#pragma once

#include <optional>

namespace imgfetch {

// What one attempt tells the retry loop (download_with_retries), apart from its result: the
// one thing download_link() says to that audience only. A plain value.
struct RetryAdvice {
    bool retryable = false;              // a transient failure worth another attempt
    std::optional<double> retry_after_s; // the server's Retry-After, in seconds
};

} // namespace imgfetch
