#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>

namespace imgfetch {

// The host-wide Retry-After backoff: after a 429/503 with Retry-After, no new attempt to
// that host starts before the time it asked for, from any worker. Keyed by Task::host (the
// LISTED URL's host: a redirect to another host still counts against the listed one).
// Used by the transfer's retry loop (download_with_retries) in both modes, and read by
// HostSlots in pool mode so that one worker, not all of them, waits out a host's backoff.
//
// Thread-safety: every member function may be called from any thread; one mutex guards the
// deadlines (see the members). It calls nothing outside itself while it holds its lock, so
// a caller may hold its own lock while it calls in (HostSlots does).
class HostBackoff {
public:
    using Clock = std::chrono::steady_clock;

    HostBackoff() = default;
    HostBackoff(const HostBackoff&) = delete;
    HostBackoff& operator=(const HostBackoff&) = delete;

    // Records that `host` asked for no request during the next `seconds` (extends, never
    // shortens, a backoff in force). A time <= 0 is no backoff.
    void back_off(const std::string& host, double seconds);

    // Blocks until `host` has no backoff in force, or `stop` is requested. Returns false
    // when stopped.
    bool wait_out_backoff(const std::string& host, const std::stop_token& stop);

    // Whether `host` has a backoff in force now (a snapshot: it may end or begin at once).
    // Lets a caller skip work that only matters before a wait.
    bool backed_off(const std::string& host) const;

    // The end of `host`'s backoff when one is in force at `now`; nothing otherwise.
    std::optional<Clock::time_point> until(const std::string& host, Clock::time_point now) const;

    // Whether back_off() was ever called with a positive time. Until then no call needs the
    // lock: the usual run skips it. Lock-free.
    bool has_backoffs() const noexcept { return m_any_backoff.load(std::memory_order_acquire); }

private:
    // m_mutex guards m_until; m_timer waits on it.
    mutable std::mutex m_mutex;
    // Never notified: its waits end at a backoff's deadline or on stop, then re-read the
    // deadline (another 429 may have extended it).
    std::condition_variable_any m_timer;
    // host -> no attempt starts before this. Ended backoffs are dropped by back_off() and
    // wait_out_backoff(), so only hosts that asked for a pause lately stay.
    std::unordered_map<std::string, Clock::time_point> m_until;

    // Set (under m_mutex, for the map) by the first back_off(); read without the lock.
    std::atomic<bool> m_any_backoff{false};
};

} // namespace imgfetch
