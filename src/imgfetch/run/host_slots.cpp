#include "imgfetch/run/host_slots.hpp"

#include <algorithm>
#include <utility>

namespace imgfetch {

HostSlots::HostSlots(unsigned per_host, std::size_t max_deferred, const HostBackoff& backoff,
                     std::stop_token stop)
    : m_per_host(per_host), m_max_deferred(std::max<std::size_t>(max_deferred, 1)),
      m_backoff(backoff), m_stop(std::move(stop)) {}

bool HostSlots::backed_off_locked(const std::string& key, Clock::time_point now) const {
    // Lock-free until some host ever asked for a pause; then HostBackoff's lock, taken under
    // ours (the documented order).
    return m_backoff.has_backoffs() && m_backoff.until(key, now).has_value();
}

bool HostSlots::can_start_locked(const std::string& key, const Host& host,
                                 Clock::time_point now) const {
    if (m_stop.stop_requested()) {
        return true; // nothing is downloaded any more: no reason to hold anything back
    }
    const bool slot_free = m_per_host == 0 || host.active < m_per_host;
    // A backed-off host with no holder is admitted: its one worker waits out the backoff
    // (download_with_retries) and is the holder the next tasks of the host are parked behind.
    const bool not_held_back = host.active == 0 || !backed_off_locked(key, now);
    return slot_free && not_held_back;
}

std::optional<Task> HostSlots::admit(const Task& task) {
    Task copy = task; // may throw: nothing changed yet
    // Lock scope: the whole decision, and the wait for room (released while waiting).
    std::unique_lock lock(m_mutex);
    for (;;) {
        const Clock::time_point now = Clock::now();
        // May throw (strong guarantee); a new entry is idle and startable, so the paths that
        // push below (which need a holder) never run on an entry inserted here.
        Host& host = m_hosts.try_emplace(copy.host).first->second;
        if (can_start_locked(copy.host, host, now)) {
            if (host.parked.empty()) {
                ++host.active;
                return copy;
            }
            // Keep the host's list order: run its oldest parked task and park this one.
            host.parked.push_back(std::move(copy)); // may throw: nothing changed
            Task oldest = std::move(host.parked.front());
            host.parked.pop_front();
            ++host.active;
            return oldest;
        }
        // Here host.active >= 1 (a cap of at least 1 is reached, or a holder waits out a
        // backoff): the parked task has a holder that will hand it over.
        if (m_deferred < m_max_deferred) {
            host.parked.push_back(std::move(copy)); // may throw: nothing changed
            ++m_deferred;
            return std::nullopt;
        }
        wait_for_room_locked(lock, copy.host, now);
        // Loop: re-decide under the lock (after a stop, can_start_locked admits it).
    }
}

void HostSlots::wait_for_room_locked(std::unique_lock<std::mutex>& lock, const std::string& key,
                                     Clock::time_point now) {
    // The look-ahead window is full: wait for this host's slot or for room to park. The
    // host's entry may be forgotten while we wait (its last holder leaves and nothing is
    // parked for it), so the predicate looks it up afresh, and the caller re-decides.
    const auto ready = [this, &key] {
        if (m_deferred < m_max_deferred) {
            return true;
        }
        const auto found = m_hosts.find(key);
        return found == m_hosts.end() || can_start_locked(key, found->second, Clock::now());
    };
    ++m_waiting;
    if (const std::optional<Clock::time_point> until =
            m_backoff.has_backoffs() ? m_backoff.until(key, now) : std::nullopt) {
        // The backoff's end may let the task start without any notify: wake then.
        m_slot_changed.wait_until(lock, m_stop, *until, ready);
    } else {
        m_slot_changed.wait(lock, m_stop, ready);
    }
    --m_waiting;
}

std::optional<Task> HostSlots::release(const std::string& finished_host) noexcept {
    std::optional<Task> next;
    bool wake = false;
    {
        // Lock scope: the slot's hand-over or release; the notify follows outside it.
        const std::lock_guard lock(m_mutex);
        wake = m_waiting > 0;
        const Clock::time_point now = Clock::now();
        const auto found = m_hosts.find(finished_host);
        if (found == m_hosts.end() || found->second.active == 0) {
            return std::nullopt; // not admitted here: nothing to give back (a caller's bug)
        }
        Host& host = found->second;
        // Hand the slot straight to the host's oldest parked task - unless the host is
        // backed off and another holder remains: that one takes the parked tasks over when
        // it finishes, so only one worker at a time waits out the backoff.
        const bool hand_over =
            !host.parked.empty() &&
            (m_stop.stop_requested() || !backed_off_locked(finished_host, now) || host.active == 1);
        if (hand_over) {
            next.emplace(std::move(host.parked.front())); // Task's move is noexcept
            host.parked.pop_front();
            --m_deferred;
        } else {
            // Invariant kept: parked tasks remain only when another holder does.
            --host.active;
            if (host.active == 0 && host.parked.empty()) {
                m_hosts.erase(found); // a list of a million hosts keeps only the busy ones here
            }
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

std::optional<Task> HostSlots::take_runnable_locked(Clock::time_point now) noexcept {
    if (m_deferred == 0) {
        return std::nullopt;
    }
    // At most max_deferred hosts have parked tasks, plus the hosts being downloaded from:
    // a short scan, under the lock, only when something is parked.
    for (auto& [key, host] : m_hosts) {
        if (!host.parked.empty() && can_start_locked(key, host, now)) {
            std::optional<Task> next(std::move(host.parked.front()));
            host.parked.pop_front();
            --m_deferred;
            ++host.active;
            return next;
        }
    }
    return std::nullopt;
}

unsigned HostSlots::active(const std::string& host) const {
    const std::lock_guard lock(m_mutex); // lock scope: one look-up
    const auto found = m_hosts.find(host);
    return found == m_hosts.end() ? 0 : found->second.active;
}

std::size_t HostSlots::deferred() const {
    const std::lock_guard lock(m_mutex); // lock scope: one read
    return m_deferred;
}

std::size_t HostSlots::waiting() const {
    const std::lock_guard lock(m_mutex); // lock scope: one read
    return m_waiting;
}

} // namespace imgfetch
