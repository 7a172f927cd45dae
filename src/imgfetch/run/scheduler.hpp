#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "imgfetch/list/task.hpp"
#include "imgfetch/run/host_slots.hpp"
#include "imgfetch/run/work_queue.hpp"

namespace imgfetch {

// Decides which task a worker runs next: the one place the pool asks "which task next, for
// this worker": the queue's next task (host-affine, below), through the per-host slots when
// there are some (a task whose host is saturated is parked there, and a worker that finishes
// a task of a host is handed that host's parked task next).
//
// Host affinity: a worker prefers a queued task whose host it served within the last
// k_idle_connection_max_age_s (one of its last k_connections_per_worker hosts: its easy handle
// still holds a live connection there, see transfer/connection_cache.hpp). It takes the first
// such task among the first k_look_ahead (128) queued ones, else the front task, so over a
// many-host list each worker settles on a few hosts and reuses their connections instead of
// opening one per file. No task starves: the queue's front task is passed over at most
// 4 x workers times in a row (WorkQueue::get_preferring), so a task at queue position p starts
// within (p + 1) x (4 x workers + 1) takes. Names (fixed at parse time) and the report's order
// (seq) do not depend on who runs what. A single-host list takes the fast path: the front task
// always matches at the first compare and nothing is scanned.
//
// The queue's semantics are untouched: every task that next() hands out is handed out once,
// and whoever runs it calls queue.task_done() (the pool, with TaskDoneGuard); a parked task
// stays unfinished for queue.join() until a worker is handed it.
//
// Thread-safety: next(w) may be called concurrently for different workers, but only from
// worker w's own thread for a given w (each worker's state is owned by that thread; see
// m_workers). The queue and the slots are thread-safe themselves and must outlive this.
class Scheduler {
public:
    // What next() hands a worker.
    struct Assignment {
        const Task* task = nullptr; // null: no more work (the queue is closed and drained).
                                    // Valid until this worker's next call of next().
        bool admitted = true;       // false: the slots could not take it (out of memory):
                                    // report it failed, do not run it
    };

    // slots: null = no per-host slots (every task runs as it comes). workers: how many
    // worker indexes next() will be called with (0 .. workers - 1).
    Scheduler(WorkQueue<Task>& queue, HostSlots* slots, unsigned workers);
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // The task `worker` runs next, after the one it was handed last has ended (its host slot
    // is released here). Blocks while the queue is empty and open, or while the slots' window
    // is full (see HostSlots::admit).
    Assignment next(unsigned worker);

private:
    using Clock = std::chrono::steady_clock;

    // A host a worker served, and when its last task there was handed out.
    struct WarmHost {
        std::string host;
        Clock::time_point last_used;
    };

    // One worker's state: written and read only by that worker's thread, in next(), so it
    // needs no lock (the vector itself is sized once, before any worker starts).
    struct WorkerState {
        std::optional<Task> task; // the task handed out last
        bool holds_slot = false;  // whether `task` holds a slot of its host in m_slots
        // The hosts this worker served last, most recent first, at most
        // k_connections_per_worker: those it still holds a live connection to.
        std::vector<WarmHost> warm;
    };

    Assignment hand_out(WorkerState& state, Task task, bool holds_slot) noexcept;
    std::optional<Task> take_from_queue(WorkerState& state);

    WorkQueue<Task>& m_queue;
    HostSlots* const m_slots; // may be null
    std::vector<WorkerState> m_workers;
    const std::size_t m_max_front_passes; // 4 x workers: the starvation bound (see above)
};

} // namespace imgfetch
