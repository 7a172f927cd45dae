#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_map>

#include "imgfetch/list/task.hpp"
#include "imgfetch/list/url.hpp"

namespace imgfetch {

// Politeness per host name, shared by every worker of a run:
//  - a cap of `per_host` transfers at once to one host (0 = no cap), without idling workers
//    that have other hosts' work: a task whose host is saturated is DEFERRED (parked here)
//    and the worker goes back to the queue; the worker that finishes a transfer to that host
//    takes the deferred task over, slot and all;
//  - a host-wide backoff: after a 429/503 with Retry-After, no new attempt to that host
//    starts before the time it asked for, from any worker.
//
// Protocol (WorkerPool): task = queue.get(); ticket = admit(task) -> run it or, when empty,
// the task was deferred; after running a ticket, next = release(ticket) -> run that next
// (its slot is already held) until release() returns nothing. The queue's task_done() is
// called by whoever runs a task, so a deferred task stays "unfinished" for queue.join().
//
// No task is ever stranded: a task is deferred for host H only while H has an active
// holder (active >= 1), and release() lowers H's active count only when H has no deferred
// task or another holder of H remains. So "H has deferred tasks => H has a holder", and every
// holder is running a transfer (or waiting out a backoff, which ends) and will call
// release(). A worker holds at most one slot and only calls admit() when it holds none.
//
// Look-ahead window: at most `max_deferred` tasks are parked in all. When that is full, a
// worker whose task cannot start waits in admit() until its host frees a slot, a parked task
// is taken over, or stop; it cannot deadlock, since its host has a holder that will release.
// So workers look at most max_deferred tasks (plus the queue's capacity) past a saturated
// host for other hosts' work.
//
// After stop is requested nothing is deferred or waited for any more: every task is admitted
// at once (it will be reported "interrupted before it started", without a request).
//
// Thread-safety: every member function may be called from any thread; one mutex guards all
// state (see the members).
class HostGate {
public:
    using Clock = std::chrono::steady_clock;

    // A task admitted through the gate, holding one slot of its host until release().
    struct Ticket {
        Task task;
        std::string host; // task.host
    };

    // per_host: transfers at once per host, 0 = no cap. max_deferred: parked tasks in all,
    // at least 1. stop: ends every wait early.
    HostGate(unsigned per_host, std::size_t max_deferred, std::stop_token stop = {});
    HostGate(const HostGate&) = delete;
    HostGate& operator=(const HostGate&) = delete;

    // Takes a slot of the task's host and returns the ticket to run now, or parks the task
    // (empty result: the caller goes on with other work). When the host already has parked
    // tasks and a slot is free, the oldest parked one is returned and `task` parked instead
    // (one host's tasks start in list order). Blocks only while the parked tasks are at
    // their bound (see above). Strong guarantee: on an exception (out of memory) nothing
    // changed and the task was not taken.
    std::optional<Ticket> admit(const Task& task);

    // After running `finished`: either hands over the next task that may start now (a
    // parked task of the same host first, keeping its slot; else another host's parked task
    // whose host has a free slot), or frees the slot and returns nothing.
    std::optional<Ticket> release(const Ticket& finished) noexcept;

    // Records that `host` asked for no request during the next `seconds` (extends, never
    // shortens, a backoff in force).
    void back_off(const std::string& host, double seconds);

    // Blocks until `host` has no backoff in force, or `stop` is requested. Returns false
    // when stopped.
    bool wait_out_backoff(const std::string& host, const std::stop_token& stop);

    // Whether `host` has a backoff in force now (a snapshot: it may end or begin at once).
    // Lets a caller skip work that only matters before a wait.
    bool backed_off(const std::string& host) const;

    // Whether back_off() was ever called with a positive time. Until then no call needs a
    // host key or the lock for a backoff: the usual run skips both. Lock-free.
    bool has_backoffs() const noexcept { return m_any_backoff.load(std::memory_order_acquire); }

    // For tests and diagnostics: snapshots that may be stale at once.
    unsigned active(const std::string& host) const;
    std::size_t deferred() const;
    std::size_t waiting() const; // workers blocked in admit() on a full look-ahead window

private:
    struct Host {
        unsigned active = 0;               // tickets out (being run) for this host
        std::deque<Ticket> parked;         // deferred tasks, FIFO
        Clock::time_point backoff_until{}; // no attempt starts before this
    };

    bool backed_off_locked(const Host& host, Clock::time_point now) const;
    bool can_start_locked(const Host& host, Clock::time_point now) const;
    std::optional<Ticket> take_runnable_locked(Clock::time_point now) noexcept;
    void forget_if_idle_locked(const std::string& key, Clock::time_point now) noexcept;

    const unsigned m_per_host;
    const std::size_t m_max_deferred;
    const std::stop_token m_stop;

    // m_mutex guards every member below; both conditions wait on it.
    mutable std::mutex m_mutex;
    std::condition_variable_any m_slot_changed;    // notified when a slot frees or a parked task
                                                   // is taken over (release())
    std::condition_variable_any m_backoff_timer;   // never notified: its waits end at a backoff's
                                                   // deadline or on stop
    std::unordered_map<std::string, Host> m_hosts; // hosts with a holder, a parked task or a
                                                   // backoff; idle ones are forgotten
    std::size_t m_deferred = 0;                    // parked tasks over all hosts
    std::size_t m_waiting = 0;                     // workers blocked in admit()

    // Set (under m_mutex, for the map) by the first back_off(); read without the lock.
    std::atomic<bool> m_any_backoff{false};
};

} // namespace imgfetch
