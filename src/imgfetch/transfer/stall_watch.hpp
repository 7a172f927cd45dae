#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace imgfetch {

// --stall-timeout for one transfer: told how many bytes have arrived so far, at moments of
// the caller's choosing (libcurl's progress callback, about once a second even when nothing
// flows), it says when none came for longer than the limit. The time is passed in, so the
// watch is plain arithmetic on the caller's clock readings.
// Owned by one transfer; not thread-safe (libcurl calls the progress callback on one thread).
class StallWatch {
public:
    using Clock = std::chrono::steady_clock;

    // Watches from `start` (the transfer's start: no byte yet is a stall too).
    StallWatch(std::chrono::seconds limit, Clock::time_point start);

    // True when `received` (bytes so far, never fewer than before) is what it was more than
    // the limit ago; any new byte restarts the wait.
    bool stalled(std::int64_t received, Clock::time_point now);

    // The failure text: "stalled: no data for N s".
    std::string reason() const;

private:
    const std::chrono::seconds m_limit;
    std::int64_t m_received = 0;
    Clock::time_point m_last_progress; // when m_received last changed (or the start)
};

} // namespace imgfetch
