#pragma once

#include <optional>
#include <vector>

#include "imgfetch/list/task.hpp"
#include "imgfetch/run/host_slots.hpp"
#include "imgfetch/run/work_queue.hpp"

namespace imgfetch {

// Decides which task a worker runs next: the one place the pool asks "which task next, for
// this worker". Today: the queue's next task, through the per-host slots when there are
// some (a task whose host is saturated is parked there, and a worker that finishes a task
// of a host is handed that host's parked task next). Worker-aware so that host-affine
// dispatch can be decided here too.
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
    // One worker's state: written and read only by that worker's thread, in next(), so it
    // needs no lock (the vector itself is sized once, before any worker starts).
    struct WorkerState {
        std::optional<Task> task; // the task handed out last
        bool holds_slot = false;  // whether `task` holds a slot of its host in m_slots
    };

    Assignment hand_out(WorkerState& state, Task task, bool holds_slot) noexcept;

    WorkQueue<Task>& m_queue;
    HostSlots* const m_slots; // may be null
    std::vector<WorkerState> m_workers;
};

} // namespace imgfetch
