#include "imgfetch/run/scheduler.hpp"

#include <utility>

namespace imgfetch {

Scheduler::Scheduler(WorkQueue<Task>& queue, HostSlots* slots, unsigned workers)
    : m_queue(queue), m_slots(slots), m_workers(workers) {}

Scheduler::Assignment Scheduler::hand_out(WorkerState& state, Task task, bool holds_slot) noexcept {
    state.task = std::move(task); // Task's move is noexcept: a held slot is never lost here
    state.holds_slot = holds_slot;
    return Assignment{&*state.task, true};
}

Scheduler::Assignment Scheduler::next(unsigned worker) {
    WorkerState& state = m_workers.at(worker);
    if (state.holds_slot) {
        // The last task ended: its slot may go straight to a parked task of the same host.
        state.holds_slot = false;
        if (std::optional<Task> handed = m_slots->release(state.task->host)) {
            return hand_out(state, std::move(*handed), true);
        }
    }
    while (std::optional<Task> task = m_queue.get()) {
        if (m_slots == nullptr) {
            return hand_out(state, std::move(*task), false);
        }
        std::optional<Task> admitted;
        try {
            admitted = m_slots->admit(*task); // empty: parked, a holder of its host will run it
        } catch (...) {
            // Out of memory before the slots took it: it fails, like a throwing handler.
            Assignment refused = hand_out(state, std::move(*task), false);
            refused.admitted = false;
            return refused;
        }
        if (admitted) {
            return hand_out(state, std::move(*admitted), true);
        }
    }
    state.task.reset();
    return Assignment{};
}

} // namespace imgfetch
