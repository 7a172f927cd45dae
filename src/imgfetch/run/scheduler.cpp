#include "imgfetch/run/scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>

#include "imgfetch/transfer/connection_cache.hpp"

namespace imgfetch {

namespace {

// Queued tasks a worker looks through for one of its hosts' (under the queue's lock, a few
// string compares each): the pool's whole queue up to -j 32 (at least 128 slots, see
// run/pool_run.cpp), and a bound on the scan of -j 512.
constexpr std::size_t k_look_ahead = 128;

// How often in a row the queue's front task may be passed over, per worker: the starvation
// bound. A front task waits for a worker that holds its host; at 2 per worker it was too often
// forced on a worker that did not (each time one more connection: 17 for 8 hosts at -j 4 in
// tests/unit/run/test_connection_reuse.cpp, where 4 per worker keeps it under 16).
constexpr std::size_t k_front_passes_per_worker = 4;

// Marks `host` as served now by the worker owning `warm` (most recent first), forgetting
// hosts past the connection cache's size or idle for longer than its connections live.
template <typename WarmHosts, typename TimePoint>
void mark_served(WarmHosts& warm, const std::string& host, TimePoint now) noexcept {
    try {
        const auto found =
            std::find_if(warm.begin(), warm.end(), [&](const auto& w) { return w.host == host; });
        if (found != warm.end()) {
            found->last_used = now;
            std::rotate(warm.begin(), found, std::next(found));
        } else {
            if (warm.size() >= static_cast<std::size_t>(k_connections_per_worker)) {
                warm.pop_back(); // libcurl closes the oldest idle connection likewise
            }
            warm.insert(warm.begin(), typename WarmHosts::value_type{host, now});
        }
        const auto max_age = std::chrono::seconds(k_idle_connection_max_age_s);
        while (!warm.empty() && now - warm.back().last_used > max_age) {
            warm.pop_back(); // libcurl will not reuse that connection any more
        }
    } catch (...) {
        warm.clear(); // out of memory: affinity is an optimisation, forget it
    }
}

} // namespace

Scheduler::Scheduler(WorkQueue<Task>& queue, HostSlots* slots, unsigned workers)
    : m_queue(queue), m_slots(slots), m_workers(workers),
      m_max_front_passes(k_front_passes_per_worker * std::size_t{workers}) {}

Scheduler::Assignment Scheduler::hand_out(WorkerState& state, Task task, bool holds_slot) noexcept {
    state.task = std::move(task); // Task's move is noexcept: a held slot is never lost here
    state.holds_slot = holds_slot;
    mark_served(state.warm, state.task->host, Clock::now());
    return Assignment{&*state.task, true};
}

std::optional<Task> Scheduler::take_from_queue(WorkerState& state) {
    if (state.warm.empty()) {
        return m_queue.get(); // nothing to prefer (this worker's first task)
    }
    // Called under the queue's lock; reads only this worker's own state (no lock needed: only
    // this thread writes it). The most recent host first: a single-host list matches the front
    // task at the first compare and scans nothing.
    const auto is_warm = [&warm = state.warm](const Task& task) noexcept {
        return std::any_of(warm.begin(), warm.end(),
                           [&task](const WarmHost& w) { return w.host == task.host; });
    };
    return m_queue.get_preferring(is_warm, k_look_ahead, m_max_front_passes);
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
    while (std::optional<Task> task = take_from_queue(state)) {
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
