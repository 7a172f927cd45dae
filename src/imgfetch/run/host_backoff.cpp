#include "imgfetch/run/host_backoff.hpp"

#include <algorithm>

namespace imgfetch {

void HostBackoff::back_off(const std::string& host, double seconds) {
    if (!(seconds > 0)) {
        return;
    }
    const Clock::time_point now = Clock::now();
    const auto until = now + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(std::min(seconds, 365.0 * 86400)));
    // Lock scope: the map and the flag, set together.
    const std::lock_guard lock(m_mutex);
    // Drop the ended backoffs first: a 429 is rare, and this keeps the map to the hosts that
    // asked for a pause lately, whatever the list's length.
    std::erase_if(m_until, [now](const auto& entry) { return entry.second <= now; });
    Clock::time_point& entry = m_until.try_emplace(host).first->second;
    entry = std::max(entry, until);
    m_any_backoff.store(true, std::memory_order_release);
    // No notify: waiters on a backoff wake at its old deadline and re-read the new one, and
    // a longer backoff never lets a waiter proceed.
}

bool HostBackoff::wait_out_backoff(const std::string& host, const std::stop_token& stop) {
    // Lock scope: the whole wait (released while the timer waits).
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (stop.stop_requested()) {
            return false;
        }
        const auto found = m_until.find(host);
        if (found == m_until.end()) {
            return true;
        }
        if (found->second <= Clock::now()) {
            m_until.erase(found); // ended: --sequential has no other place that forgets it
            return true;
        }
        const Clock::time_point deadline = found->second; // a copy: the entry may go meanwhile
        // Ends at the deadline or on stop (nothing notifies this condition; the predicate
        // is the loop's, re-checked under the lock).
        m_timer.wait_until(lock, stop, deadline, [] { return false; });
    }
}

bool HostBackoff::backed_off(const std::string& host) const {
    return until(host, Clock::now()).has_value();
}

std::optional<HostBackoff::Clock::time_point> HostBackoff::until(const std::string& host,
                                                                 Clock::time_point now) const {
    // Lock scope: one look-up.
    const std::lock_guard lock(m_mutex);
    const auto found = m_until.find(host);
    if (found == m_until.end() || !(now < found->second)) {
        return std::nullopt;
    }
    return found->second;
}

} // namespace imgfetch
