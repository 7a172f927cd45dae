// HostSlots on its own: the per-host cap, parking and hand-over, the look-ahead window, and
// how a backoff (HostBackoff) makes one holder wait it out. No network, real threads.
#include "imgfetch/run/host_slots.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <latch>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/run/host_backoff.hpp"
#include "unit/run/host_tasks.hpp"

namespace imgfetch {
namespace {

using test::task_for;
using test::wait_until;

TEST(HostSlots, AdmitsUpToTheCapPerHostAndParksTheRestWithoutHoldingBackOtherHosts) {
    HostBackoff backoff;
    HostSlots slots(/*per_host=*/2, /*max_deferred=*/8, backoff);

    EXPECT_TRUE(slots.admit(task_for("a", 0)));
    EXPECT_TRUE(slots.admit(task_for("a", 1)));
    EXPECT_FALSE(slots.admit(task_for("a", 2))) << "a's cap is reached: parked";
    EXPECT_TRUE(slots.admit(task_for("b", 3))) << "b has its own slots";

    EXPECT_EQ(slots.active("a"), 2U);
    EXPECT_EQ(slots.active("b"), 1U);
    EXPECT_EQ(slots.deferred(), 1U);
}

TEST(HostSlots, ReleaseHandsAParkedTaskOverWithItsSlotAndFreesTheSlotWhenNoneIsLeft) {
    HostBackoff backoff;
    HostSlots slots(1, 8, backoff);
    const auto first = slots.admit(task_for("a", 0));
    ASSERT_TRUE(first);
    ASSERT_FALSE(slots.admit(task_for("a", 1)));
    ASSERT_FALSE(slots.admit(task_for("a", 2)));

    const auto second = slots.release(first->host);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->seq, 1U) << "oldest parked first";
    EXPECT_EQ(slots.active("a"), 1U) << "the slot went with it";
    const auto third = slots.release(second->host);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->seq, 2U);
    EXPECT_EQ(slots.deferred(), 0U);

    EXPECT_FALSE(slots.release(third->host));
    EXPECT_EQ(slots.active("a"), 0U);
    EXPECT_TRUE(slots.admit(task_for("a", 3))) << "the slot is free again";
}

TEST(HostSlots, WithoutACapOnlyABackoffParksTasks) {
    HostBackoff backoff;
    HostSlots slots(/*per_host=*/0, 8, backoff);
    for (std::size_t seq = 0; seq < 20; ++seq) {
        EXPECT_TRUE(slots.admit(task_for("a", seq)));
    }
    EXPECT_EQ(slots.active("a"), 20U);
    EXPECT_EQ(slots.deferred(), 0U);
}

TEST(HostSlots, ABackedOffHostIsAdmittedOnceAndItsOtherTasksParkBehindThatHolder) {
    HostBackoff backoff;
    HostSlots slots(0, 8, backoff);
    backoff.back_off("a", 60);

    const auto holder = slots.admit(task_for("a", 0));
    EXPECT_TRUE(holder) << "no holder yet: this worker waits out the backoff itself";
    EXPECT_FALSE(slots.admit(task_for("a", 1))) << "parked: a worker is already waiting for a";
    EXPECT_FALSE(slots.admit(task_for("a", 2)));
    EXPECT_TRUE(slots.admit(task_for("b", 3))) << "other hosts are not held back";

    // The one holder takes the parked tasks over one by one.
    const auto next = slots.release(holder->host);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->seq, 1U);
    EXPECT_EQ(slots.active("a"), 1U);
}

TEST(HostSlots, DuringABackoffOnlyTheLastHolderTakesParkedTasksOver) {
    HostBackoff backoff;
    HostSlots slots(0, 8, backoff);
    const auto first = slots.admit(task_for("a", 0));
    const auto second = slots.admit(task_for("a", 1));
    ASSERT_TRUE(first && second);
    backoff.back_off("a", 60); // a 429 while two transfers to a were running
    ASSERT_FALSE(slots.admit(task_for("a", 2)));

    EXPECT_FALSE(slots.release(first->host)) << "another holder remains: this worker is freed";
    EXPECT_EQ(slots.active("a"), 1U);
    const auto handed = slots.release(second->host);
    ASSERT_TRUE(handed) << "the last holder must take the parked task: nobody else would";
    EXPECT_EQ(handed->seq, 2U);
}

TEST(HostSlots, AfterABackoffAnyFreedWorkerTakesAParkedTaskAndHostOrderIsKept) {
    HostBackoff backoff;
    HostSlots slots(0, 8, backoff);
    const auto first = slots.admit(task_for("a", 0));
    const auto second = slots.admit(task_for("a", 1));
    ASSERT_TRUE(first && second);
    backoff.back_off("a", 0.05);
    ASSERT_FALSE(slots.admit(task_for("a", 2)));
    ASSERT_FALSE(slots.admit(task_for("a", 3)));
    ASSERT_FALSE(slots.release(first->host));
    ASSERT_TRUE(backoff.wait_out_backoff("a", {})); // the backoff is over

    // A worker finishing another host's task takes a's oldest parked task.
    const auto other = slots.admit(task_for("b", 4));
    ASSERT_TRUE(other);
    const auto taken = slots.release(other->host);
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->seq, 2U);
    // A new task of a starts a's oldest parked task and waits in its place.
    const auto swapped = slots.admit(task_for("a", 5));
    ASSERT_TRUE(swapped);
    EXPECT_EQ(swapped->seq, 3U);
    EXPECT_EQ(slots.deferred(), 1U);
    EXPECT_EQ(slots.active("a"), 3U);
}

TEST(HostSlots, AFullWindowMakesAWorkerWaitUntilItsHostMovesButNeverForAFreeHost) {
    HostBackoff backoff;
    HostSlots slots(/*per_host=*/1, /*max_deferred=*/1, backoff);
    const auto holder = slots.admit(task_for("a", 0));
    ASSERT_TRUE(holder);
    ASSERT_FALSE(slots.admit(task_for("a", 1))); // the window is full now

    EXPECT_TRUE(slots.admit(task_for("b", 2))) << "a host with a free slot never waits";

    std::optional<Task> waiter_got;
    std::jthread waiter([&] { waiter_got = slots.admit(task_for("a", 3)); });
    wait_until([&] { return slots.waiting() == 1; });

    const auto handed = slots.release(holder->host); // hands over task 1: room in the window
    ASSERT_TRUE(handed);
    EXPECT_EQ(handed->seq, 1U);
    waiter.join();
    EXPECT_FALSE(waiter_got) << "the waiter parked its task once there was room";
    EXPECT_EQ(slots.deferred(), 1U);
    EXPECT_EQ(slots.waiting(), 0U);
}

TEST(HostSlots, StopEndsEveryWaitAndAdmitsEverything) {
    std::stop_source stop;
    HostBackoff backoff;
    HostSlots slots(1, 1, backoff, stop.get_token());
    const auto holder = slots.admit(task_for("a", 0));
    ASSERT_TRUE(holder);
    ASSERT_FALSE(slots.admit(task_for("a", 1)));
    backoff.back_off("a", 60);

    std::optional<Task> waiter_got;
    std::jthread waiter([&] { waiter_got = slots.admit(task_for("a", 2)); });
    wait_until([&] { return slots.waiting() == 1; });
    stop.request_stop();
    waiter.join();

    EXPECT_TRUE(waiter_got) << "after a stop nothing is held back (it is reported, not fetched)";
    EXPECT_FALSE(backoff.wait_out_backoff("a", stop.get_token()));
    EXPECT_TRUE(slots.release(holder->host))
        << "parked tasks are still handed over, to be reported";
    EXPECT_EQ(slots.deferred(), 0U);
}

// Workers on real threads, each holding at most one slot, admit and release concurrently:
// every task runs exactly once, no host ever has more than the cap at once, and nothing is
// left parked.
TEST(HostSlots, ConcurrentWorkersNeverExceedTheCapAndRunEveryTaskOnce) {
    constexpr unsigned k_cap = 2;
    constexpr unsigned k_workers = 6;
    constexpr std::size_t k_tasks_per_worker = 200;
    const std::vector<std::string> hosts{"a", "b", "c"};
    HostBackoff backoff;
    HostSlots slots(k_cap, /*max_deferred=*/4, backoff);

    std::mutex mutex; // guards the three members below
    std::map<std::string, unsigned> in_flight;
    std::map<std::string, unsigned> peak;
    std::multiset<std::size_t> ran;
    const auto run_it = [&](const Task& task) {
        {
            const std::lock_guard lock(mutex);
            peak[task.host] = std::max(peak[task.host], ++in_flight[task.host]);
            ran.insert(task.seq);
        }
        std::this_thread::yield();
        const std::lock_guard lock(mutex);
        --in_flight[task.host];
    };
    std::latch start(k_workers); // every worker begins together, for the most overlap
    {
        std::vector<std::jthread> workers;
        for (unsigned w = 0; w < k_workers; ++w) {
            workers.emplace_back([&, w] {
                start.arrive_and_wait();
                for (std::size_t i = 0; i < k_tasks_per_worker; ++i) {
                    const std::size_t seq = w * k_tasks_per_worker + i;
                    std::optional<Task> task = slots.admit(task_for(hosts[seq % 3], seq));
                    while (task) {
                        run_it(*task);
                        task = slots.release(task->host);
                    }
                }
            });
        }
    }

    EXPECT_EQ(ran.size(), k_workers * k_tasks_per_worker);
    EXPECT_EQ(std::set<std::size_t>(ran.begin(), ran.end()).size(), ran.size()) << "each once";
    for (const auto& [host, most] : peak) {
        EXPECT_LE(most, k_cap) << host;
    }
    EXPECT_EQ(slots.deferred(), 0U) << "nothing stranded";
    for (const std::string& host : hosts) {
        EXPECT_EQ(slots.active(host), 0U) << host;
    }
}

} // namespace
} // namespace imgfetch
