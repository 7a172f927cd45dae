#include "imgfetch/run/host_gate.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <utility>

namespace imgfetch {

HostGate::HostGate(unsigned per_host, std::size_t max_deferred, std::stop_token stop)
    : m_per_host(per_host), m_max_deferred(std::max<std::size_t>(max_deferred, 1)),
      m_stop(std::move(stop)) {}

bool HostGate::backed_off_locked(const Host& host, Clock::time_point now) const {
    return now < host.backoff_until;
}

bool HostGate::can_start_locked(const Host& host, Clock::time_point now) const {
    if (m_stop.stop_requested()) {
        return true; // nothing is downloaded any more: no reason to hold anything back
    }
    const bool slot_free = m_per_host == 0 || host.active < m_per_host;
    // A backed-off host with no holder is admitted: its one worker waits out the backoff
    // (download_with_retries) and is the holder the next tasks of the host are parked behind.
    const bool not_held_back = host.active == 0 || !backed_off_locked(host, now);
    return slot_free && not_held_back;
}

std::optional<HostGate::Ticket> HostGate::admit(const Task& task) {
    Ticket ticket{task, task.host}; // may throw: nothing changed yet
    std::unique_lock lock(m_mutex);
    for (;;) {
        const Clock::time_point now = Clock::now();
        // May throw (strong guarantee); a new entry is idle and startable, so the paths that
        // push below (which need a holder) never run on an entry inserted here.
        Host& host = m_hosts.try_emplace(ticket.host).first->second;
        if (can_start_locked(host, now)) {
            if (host.parked.empty()) {
                ++host.active;
                return ticket;
            }
            // Keep the host's list order: run its oldest parked task and park this one.
            host.parked.push_back(std::move(ticket)); // may throw: nothing changed
            Ticket oldest = std::move(host.parked.front());
            host.parked.pop_front();
            ++host.active;
            return oldest;
        }
        // Here host.active >= 1 (a cap of at least 1 is reached, or a holder waits out a
        // backoff): the parked task has a holder that will hand it over.
        if (m_deferred < m_max_deferred) {
            host.parked.push_back(std::move(ticket)); // may throw: nothing changed
            ++m_deferred;
            return std::nullopt;
        }
        // The look-ahead window is full: wait for this host's slot or for room to park.
        // `host` may be forgotten while we wait (its last holder leaves and nothing is parked
        // for it), so nothing below touches it after the wait begins: the predicate looks
        // the host up afresh, and the loop re-decides.
        const std::string& key = ticket.host;
        const auto ready = [this, &key] {
            if (m_deferred < m_max_deferred) {
                return true;
            }
            const auto found = m_hosts.find(key);
            return found == m_hosts.end() || can_start_locked(found->second, Clock::now());
        };
        ++m_waiting;
        if (backed_off_locked(host, now)) {
            // The backoff's end may let the task start without any notify: wake then. A copy:
            // the wait re-reads its deadline, and `host` may be forgotten meanwhile.
            const Clock::time_point until = host.backoff_until;
            m_slot_changed.wait_until(lock, m_stop, until, ready);
        } else {
            m_slot_changed.wait(lock, m_stop, ready);
        }
        --m_waiting;
        // Loop: re-decide under the lock (after a stop, can_start_locked admits it).
    }
}

std::optional<HostGate::Ticket> HostGate::release(const Ticket& finished) noexcept {
    std::optional<Ticket> next;
    bool wake = false;
    {
        const std::lock_guard lock(m_mutex);
        wake = m_waiting > 0;
        const Clock::time_point now = Clock::now();
        const auto found = m_hosts.find(finished.host);
        if (found == m_hosts.end() || found->second.active == 0) {
            return std::nullopt; // not admitted here: nothing to give back (a caller's bug)
        }
        Host& host = found->second;
        // Hand the slot straight to the host's oldest parked task - unless the host is
        // backed off and another holder remains: that one takes the parked tasks over when
        // it finishes, so only one worker at a time waits out the backoff.
        const bool hand_over =
            !host.parked.empty() &&
            (m_stop.stop_requested() || !backed_off_locked(host, now) || host.active == 1);
        if (hand_over) {
            next.emplace(std::move(host.parked.front())); // Ticket's move is noexcept
            host.parked.pop_front();
            --m_deferred;
        } else {
            // Invariant kept: parked tasks remain only when another holder does.
            --host.active;
            forget_if_idle_locked(finished.host, now);
            // This worker is free: take another host's parked task that may start now (one
            // whose cap was reached when it was parked, or whose backoff has ended).
            next = take_runnable_locked(now);
        }
    }
    // Outside the lock: the waiters re-check their predicates under it. Every release may
    // have freed a slot or made room to park, so all waiters (at most the pool's workers)
    // re-decide. None can be missed: a waiter counts itself in m_waiting and checks its
    // predicate under the lock before it waits.
    if (wake) {
        m_slot_changed.notify_all();
    }
    return next;
}

std::optional<HostGate::Ticket> HostGate::take_runnable_locked(Clock::time_point now) noexcept {
    if (m_deferred == 0) {
        return std::nullopt;
    }
    // At most max_deferred hosts have parked tasks, plus the hosts being downloaded from:
    // a short scan, under the lock, only when something is parked.
    for (auto& [key, host] : m_hosts) {
        if (!host.parked.empty() && can_start_locked(host, now)) {
            std::optional<Ticket> next(std::move(host.parked.front()));
            host.parked.pop_front();
            --m_deferred;
            ++host.active;
            return next;
        }
    }
    return std::nullopt;
}

void HostGate::forget_if_idle_locked(const std::string& key, Clock::time_point now) noexcept {
    const auto found = m_hosts.find(key);
    if (found != m_hosts.end() && found->second.active == 0 && found->second.parked.empty() &&
        !backed_off_locked(found->second, now)) {
        m_hosts.erase(found); // a list of a million hosts keeps only the busy ones here
    }
}

void HostGate::back_off(const std::string& host, double seconds) {
    if (!(seconds > 0)) {
        return;
    }
    const auto until =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(std::min(seconds, 365.0 * 86400)));
    const std::lock_guard lock(m_mutex);
    Host& entry = m_hosts.try_emplace(host).first->second;
    entry.backoff_until = std::max(entry.backoff_until, until);
    m_any_backoff.store(true, std::memory_order_release);
    // No notify: waiters on a backoff wake at its old deadline and re-read the new one, and
    // a longer backoff never lets a waiting admit() proceed.
}

bool HostGate::wait_out_backoff(const std::string& host, const std::stop_token& stop) {
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (stop.stop_requested()) {
            return false;
        }
        const Clock::time_point now = Clock::now();
        const auto found = m_hosts.find(host);
        if (found == m_hosts.end() || !backed_off_locked(found->second, now)) {
            forget_if_idle_locked(host, now); // --sequential's entries, which no release() ends
            return true;
        }
        const Clock::time_point until = found->second.backoff_until;
        // Ends at the deadline or on stop (nothing notifies this condition); the loop then
        // re-reads the deadline, which another 429 may have extended.
        m_backoff_timer.wait_until(lock, stop, until, [] { return false; });
    }
}

bool HostGate::backed_off(const std::string& host) const {
    const std::lock_guard lock(m_mutex);
    const auto found = m_hosts.find(host);
    return found != m_hosts.end() && backed_off_locked(found->second, Clock::now());
}

unsigned HostGate::active(const std::string& host) const {
    const std::lock_guard lock(m_mutex);
    const auto found = m_hosts.find(host);
    return found == m_hosts.end() ? 0 : found->second.active;
}

std::size_t HostGate::deferred() const {
    const std::lock_guard lock(m_mutex);
    return m_deferred;
}

std::size_t HostGate::waiting() const {
    const std::lock_guard lock(m_mutex);
    return m_waiting;
}

} // namespace imgfetch
