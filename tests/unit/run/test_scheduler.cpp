// The Scheduler: which task a worker runs next, over the real queue and the real per-host
// slots, with worker threads. No network.
#include "imgfetch/run/scheduler.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <latch>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/run/host_backoff.hpp"
#include "imgfetch/run/host_slots.hpp"
#include "imgfetch/run/work_queue.hpp"
#include "unit/run/host_tasks.hpp"

namespace imgfetch {
namespace {

using test::task_for;

TEST(Scheduler, WithoutSlotsHandsOutTheQueuesTasksInOrderAndNothingOnceDrained) {
    WorkQueue<Task> queue(4);
    Scheduler scheduler(queue, nullptr, 1);
    queue.put(task_for("a", 0));
    queue.put(task_for("a", 1));
    queue.close();

    for (std::size_t seq = 0; seq < 2; ++seq) {
        const Scheduler::Assignment next = scheduler.next(0);
        ASSERT_NE(next.task, nullptr);
        EXPECT_EQ(next.task->seq, seq);
        EXPECT_TRUE(next.admitted);
        queue.task_done();
    }
    EXPECT_EQ(scheduler.next(0).task, nullptr) << "closed and drained";
}

// Worker 0 holds host a's only slot (it does not come back for more until told); worker 1,
// on its own thread, skips a's next task (parked) and gets b's. When worker 0 comes back it
// is handed a's parked task, slot and all; once the queue is drained the slot is freed.
TEST(Scheduler, ASaturatedHostsTaskIsParkedForItsHolderAndOtherHostsGoOn) {
    WorkQueue<Task> queue(8);
    HostBackoff backoff;
    HostSlots slots(/*per_host=*/1, /*max_deferred=*/4, backoff);
    Scheduler scheduler(queue, &slots, 2);
    queue.put(task_for("a", 0));
    queue.put(task_for("a", 1));
    queue.put(task_for("b", 2));

    const Scheduler::Assignment first = scheduler.next(0);
    ASSERT_NE(first.task, nullptr);
    EXPECT_EQ(first.task->seq, 0U);

    std::optional<std::size_t> worker1_got;
    std::latch worker1_done(1);
    std::jthread worker1([&] {
        const Scheduler::Assignment next = scheduler.next(1);
        if (next.task != nullptr) {
            worker1_got = next.task->seq;
        }
        worker1_done.count_down();
    });
    worker1_done.wait();
    EXPECT_EQ(worker1_got, 2U) << "b's task, not a's: a's one slot is held by worker 0";
    EXPECT_EQ(slots.deferred(), 1U);
    EXPECT_EQ(slots.active("a"), 1U);
    worker1.join();

    queue.task_done(); // worker 0 finished task 0
    const Scheduler::Assignment handed = scheduler.next(0);
    ASSERT_NE(handed.task, nullptr);
    EXPECT_EQ(handed.task->seq, 1U) << "the holder takes its host's parked task over";
    EXPECT_EQ(slots.deferred(), 0U);
    EXPECT_EQ(slots.active("a"), 1U) << "the slot went with it";

    queue.task_done(); // task 1
    queue.task_done(); // task 2 (worker 1's)
    queue.close();
    EXPECT_EQ(scheduler.next(0).task, nullptr);
    EXPECT_EQ(slots.active("a"), 0U) << "the last next() released the slot";
    EXPECT_EQ(scheduler.next(1).task, nullptr);
    EXPECT_EQ(slots.active("b"), 0U);
}

// Worker threads pull through one scheduler while the main thread puts tasks of a few hosts:
// every task is handed out exactly once, no host ever has more than the cap at once, and
// queue.join() returns (nothing stranded in the slots).
TEST(Scheduler, ConcurrentWorkersGetEveryTaskOnceWithinTheCap) {
    constexpr unsigned k_cap = 2;
    constexpr unsigned k_workers = 6;
    constexpr std::size_t k_tasks = 500;
    const std::vector<std::string> hosts{"a", "b", "c"};
    WorkQueue<Task> queue(6);
    HostBackoff backoff;
    HostSlots slots(k_cap, /*max_deferred=*/3, backoff);
    Scheduler scheduler(queue, &slots, k_workers);

    std::mutex mutex; // guards the three members below
    std::map<std::string, unsigned> in_flight;
    std::map<std::string, unsigned> peak;
    std::multiset<std::size_t> handed;
    {
        std::vector<std::jthread> workers;
        for (unsigned w = 0; w < k_workers; ++w) {
            workers.emplace_back([&, w] {
                for (;;) {
                    const Scheduler::Assignment next = scheduler.next(w);
                    if (next.task == nullptr) {
                        return;
                    }
                    const std::string host = next.task->host;
                    {
                        const std::lock_guard lock(mutex);
                        peak[host] = std::max(peak[host], ++in_flight[host]);
                        handed.insert(next.task->seq);
                    }
                    std::this_thread::yield();
                    {
                        const std::lock_guard lock(mutex);
                        --in_flight[host];
                    }
                    queue.task_done();
                }
            });
        }
        for (std::size_t seq = 0; seq < k_tasks; ++seq) {
            queue.put(task_for(hosts[(seq / 5) % hosts.size()], seq)); // runs of one host
        }
        queue.join();
        queue.close();
    }

    EXPECT_EQ(handed.size(), k_tasks);
    EXPECT_EQ(std::set<std::size_t>(handed.begin(), handed.end()).size(), k_tasks) << "once";
    for (const auto& [host, most] : peak) {
        EXPECT_LE(most, k_cap) << host;
    }
    EXPECT_EQ(slots.deferred(), 0U);
}

// Host affinity: after a task of host a, the worker is handed the queue's next task of a
// (its connection there is live) before older tasks of hosts it has not served.
TEST(Scheduler, AWorkerIsHandedATaskOfTheHostItServedBeforeOlderTasksOfOtherHosts) {
    WorkQueue<Task> queue(8);
    Scheduler scheduler(queue, nullptr, 2);
    queue.put(task_for("a", 0));
    ASSERT_EQ(scheduler.next(0).task->seq, 0U);
    queue.put(task_for("b", 1));
    queue.put(task_for("c", 2));
    queue.put(task_for("a", 3));

    EXPECT_EQ(scheduler.next(0).task->seq, 3U) << "a again, past b and c";
    EXPECT_EQ(scheduler.next(1).task->seq, 1U) << "a worker that served nothing takes the front";
    EXPECT_EQ(scheduler.next(0).task->seq, 2U) << "no a left: the front";
    for (int done = 0; done < 4; ++done) {
        queue.task_done();
    }
    EXPECT_EQ(queue.unfinished_tasks(), 0U);
}

// No starvation: with one worker (bound 4 x 1), a cold host's task at the front is passed
// over at most 4 times, however many tasks of the warm host follow it.
TEST(Scheduler, AColdHostsTaskIsTakenWithinTheBoundWhateverFollowsIt) {
    WorkQueue<Task> queue(16);
    Scheduler scheduler(queue, nullptr, 1);
    queue.put(task_for("warm", 0));
    ASSERT_EQ(scheduler.next(0).task->host, "warm");
    queue.put(task_for("cold", 1));
    for (std::size_t seq = 2; seq < 10; ++seq) {
        queue.put(task_for("warm", seq));
    }
    queue.close();

    std::vector<std::size_t> order;
    while (const Task* task = scheduler.next(0).task) {
        order.push_back(task->seq);
        queue.task_done();
    }

    EXPECT_EQ(order, (std::vector<std::size_t>{2, 3, 4, 5, 1, 6, 7, 8, 9}));
    queue.task_done(); // the first task's
    EXPECT_EQ(queue.unfinished_tasks(), 0U);
}

// With per-host slots, affinity and the cap work together: a saturated host's task is parked
// for its holder, the other worker keeps to its own host, and the cap of 1 holds throughout.
TEST(Scheduler, WithSlotsAWorkerStillPrefersItsHostAndTheCapHolds) {
    WorkQueue<Task> queue(8);
    HostBackoff backoff;
    HostSlots slots(/*per_host=*/1, /*max_deferred=*/4, backoff);
    Scheduler scheduler(queue, &slots, 2);
    queue.put(task_for("a", 0));
    queue.put(task_for("a", 1));
    queue.put(task_for("b", 2));
    ASSERT_EQ(scheduler.next(0).task->seq, 0U); // holds a
    EXPECT_EQ(scheduler.next(1).task->seq, 2U) << "a's second task parked, b's taken";
    EXPECT_EQ(slots.deferred(), 1U);
    queue.put(task_for("a", 3));
    queue.put(task_for("b", 4));

    queue.task_done(); // worker 1 ends b's task
    EXPECT_EQ(scheduler.next(1).task->seq, 4U) << "b again, past a's";
    EXPECT_EQ(slots.active("a"), 1U);
    queue.task_done(); // worker 0 ends a's first task
    EXPECT_EQ(scheduler.next(0).task->seq, 1U) << "the parked one, slot and all";
    EXPECT_EQ(slots.active("a"), 1U);
    queue.task_done();
    EXPECT_EQ(scheduler.next(0).task->seq, 3U);
    EXPECT_EQ(slots.active("a"), 1U) << "the cap holds";
    queue.task_done();
    queue.task_done();
    queue.close();
    EXPECT_EQ(scheduler.next(0).task, nullptr);
    EXPECT_EQ(scheduler.next(1).task, nullptr);
    EXPECT_EQ(queue.unfinished_tasks(), 0U);
    EXPECT_EQ(slots.deferred(), 0U);
}

} // namespace
} // namespace imgfetch
