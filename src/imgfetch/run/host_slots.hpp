#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>

#include "imgfetch/list/task.hpp"
#include "imgfetch/run/host_backoff.hpp"

namespace imgfetch {

// Per-host slots for the pool, keyed by Task::host:
//  - a cap of `per_host` transfers at once to one host (0 = no cap), without idling workers
//    that have other hosts' work: a task whose host is saturated is DEFERRED (parked here)
//    and the worker goes back to the queue; the worker that finishes a transfer to that host
//    takes the deferred task over, slot and all;
//  - during a host's backoff (HostBackoff), one holder waits it out and the host's other
//    tasks park behind it instead of tying up more workers.
//
// Protocol (Scheduler): task = queue.get(); admitted = admit(task) -> run it or, when empty,
// the task was deferred; after running it, next = release(its host) -> run that next (its
// slot is already held) until release() returns nothing. The queue's task_done() is called
// by whoever runs a task, so a deferred task stays "unfinished" for queue.join().
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
// state (see the members). Lock order: HostSlots' mutex, then HostBackoff's (which it reads
// under its own); HostBackoff never calls back.
class HostSlots {
public:
    using Clock = std::chrono::steady_clock;

    // per_host: transfers at once per host, 0 = no cap. max_deferred: parked tasks in all,
    // at least 1. backoff: read only, must outlive this. stop: ends every wait early.
    HostSlots(unsigned per_host, std::size_t max_deferred, const HostBackoff& backoff,
              std::stop_token stop = {});
    HostSlots(const HostSlots&) = delete;
    HostSlots& operator=(const HostSlots&) = delete;

    // Takes a slot of the task's host and returns the task to run now, or parks the task
    // (empty result: the caller goes on with other work). When the host already has parked
    // tasks and a slot is free, the oldest parked one is returned and `task` parked instead
    // (one host's tasks start in list order). Blocks only while the parked tasks are at
    // their bound (see above). Strong guarantee: on an exception (out of memory) nothing
    // changed and the task was not taken.
    std::optional<Task> admit(const Task& task);

    // After running a task of `host` (admitted here): either hands over the next task that
    // may start now (a parked task of the same host first, keeping its slot; else another
    // host's parked task whose host has a free slot), or frees the slot and returns nothing.
    std::optional<Task> release(const std::string& host) noexcept;

    // For tests and diagnostics: snapshots that may be stale at once.
    unsigned active(const std::string& host) const;
    std::size_t deferred() const;
    std::size_t waiting() const; // workers blocked in admit() on a full look-ahead window

private:
    struct Host {
        unsigned active = 0;     // tasks out (being run) for this host
        std::deque<Task> parked; // deferred tasks, FIFO
    };

    bool backed_off_locked(const std::string& key, Clock::time_point now) const;
    bool can_start_locked(const std::string& key, const Host& host, Clock::time_point now) const;
    std::optional<Task> take_runnable_locked(Clock::time_point now) noexcept;
    void wait_for_room_locked(std::unique_lock<std::mutex>& lock, const std::string& key,
                              Clock::time_point now);

    const unsigned m_per_host;
    const std::size_t m_max_deferred;
    const HostBackoff& m_backoff; // thread-safe itself
    const std::stop_token m_stop;

    // m_mutex guards every member below; m_slot_changed waits on it.
    mutable std::mutex m_mutex;
    std::condition_variable_any m_slot_changed;    // notified when a slot frees or a parked task
                                                   // is taken over (release())
    std::unordered_map<std::string, Host> m_hosts; // hosts with a holder or a parked task; idle
                                                   // ones are forgotten
    std::size_t m_deferred = 0;                    // parked tasks over all hosts
    std::size_t m_waiting = 0;                     // workers blocked in admit()
};

} // namespace imgfetch
