// WorkQueue and TaskDoneGuard: the rules of Python's queue.Queue, plus close().
//
// Blocking is shown without sleeping: a thread announces (latch) that it is about to call the
// blocking function, and a short bounded wait on its future must time out. That wait can only
// make a broken test pass by luck, never make a correct queue fail; the unblocking step that
// follows is then waited for without any time limit.

#include "imgfetch/run/work_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <latch>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "support/bounded_wait.hpp"

namespace imgfetch {
namespace {

using namespace std::chrono_literals;

// Long enough for a thread that is not blocked to finish, short enough to keep the suite quick.
constexpr auto k_still_blocked_window = 50ms;

template <typename R>
bool still_blocked(const std::future<R>& result) {
    return result.wait_for(k_still_blocked_window) == std::future_status::timeout;
}

// Starts `body` on a new thread and returns once that thread is about to run it.
// For several threads started together one window is enough: the rest are checked without waiting.
template <typename R>
bool all_still_blocked(const std::vector<std::future<R>>& results) {
    return std::all_of(results.begin(), results.end(), [first = true](const auto& result) mutable {
        const auto window = std::exchange(first, false) ? k_still_blocked_window : 0ms;
        return result.wait_for(window) == std::future_status::timeout;
    });
}

template <typename F>
auto start_on_thread(F body) {
    auto started = std::make_shared<std::latch>(1);
    auto result = std::async(std::launch::async, [started, body = std::move(body)]() mutable {
        started->count_down();
        return body();
    });
    started->wait();
    return result;
}

TEST(WorkQueue, GetReturnsItemsInTheOrderTheyWerePut) {
    WorkQueue<int> queue;
    for (int i = 0; i < 5; ++i) {
        queue.put(i);
    }
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(queue.get(), i);
    }
    EXPECT_EQ(queue.size(), 0U);
}

TEST(WorkQueue, HoldsMoveOnlyItems) {
    WorkQueue<std::unique_ptr<int>> queue;
    queue.put(std::make_unique<int>(7));

    std::optional<std::unique_ptr<int>> item = queue.get();

    ASSERT_TRUE(item.has_value());
    ASSERT_NE(*item, nullptr);
    EXPECT_EQ(**item, 7);
}

TEST(WorkQueue, GetBlocksWhileEmptyUntilAPut) {
    WorkQueue<int> queue;
    auto getter = start_on_thread([&] { return queue.get(); });

    EXPECT_TRUE(still_blocked(getter));

    queue.put(42);
    ASSERT_TRUE(test::finishes(getter)) << "still blocked: a hang";
    EXPECT_EQ(getter.get(), 42);
}

TEST(WorkQueue, PutBlocksWhileFullUntilAGet) {
    WorkQueue<int> queue(2);
    queue.put(1);
    queue.put(2);
    auto producer = start_on_thread([&] { queue.put(3); });

    EXPECT_TRUE(still_blocked(producer));
    EXPECT_EQ(queue.size(), 2U);

    EXPECT_EQ(queue.get(), 1);
    ASSERT_TRUE(test::finishes(producer)) << "still blocked: a hang";
    producer.get();
    EXPECT_EQ(queue.size(), 2U);
    EXPECT_EQ(queue.get(), 2);
    EXPECT_EQ(queue.get(), 3);
}

// A producer faster than its consumers (the list reader) refills a drained half in one go
// instead of sleeping and waking once per item.
TEST(WorkQueue, ABlockedPutWakesOnceGetHasDrainedTheQueueToHalf) {
    WorkQueue<int> queue(4);
    for (int i = 0; i < 4; ++i) {
        queue.put(i);
    }
    auto producer = start_on_thread([&] { queue.put(4); });
    EXPECT_TRUE(still_blocked(producer));

    EXPECT_EQ(queue.get(), 0);
    EXPECT_TRUE(still_blocked(producer)) << "three of four slots still full: not woken yet";
    EXPECT_EQ(queue.get(), 1); // half: the producer wakes
    ASSERT_TRUE(test::finishes(producer)) << "still blocked: a hang";
    producer.get();
    EXPECT_EQ(queue.size(), 3U);
}

TEST(WorkQueue, ReportsTheCapacityItWasGiven) {
    EXPECT_EQ(WorkQueue<int>(4).capacity(), 4U);
    EXPECT_EQ(WorkQueue<int>().capacity(), 0U);
}

TEST(WorkQueue, CapacityZeroMeansUnbounded) {
    WorkQueue<int> queue(0);
    constexpr int k_items = 10'000;
    for (int i = 0; i < k_items; ++i) {
        queue.put(i); // would block forever on a bounded queue
    }
    EXPECT_EQ(queue.size(), static_cast<std::size_t>(k_items));
    EXPECT_EQ(queue.unfinished_tasks(), static_cast<std::size_t>(k_items));
}

TEST(WorkQueue, EveryPutAddsAnUnfinishedTaskThatOnlyTaskDoneRemoves) {
    WorkQueue<int> queue;
    queue.put(1);
    queue.put(2);
    EXPECT_EQ(queue.unfinished_tasks(), 2U);

    (void)queue.get();
    EXPECT_EQ(queue.unfinished_tasks(), 2U); // a get() alone finishes nothing

    queue.task_done();
    EXPECT_EQ(queue.unfinished_tasks(), 1U);
}

TEST(WorkQueue, TaskDoneThrowsLogicErrorWhenCalledMoreOftenThanPut) {
    WorkQueue<int> queue;
    EXPECT_THROW(queue.task_done(), std::logic_error);

    queue.put(1);
    (void)queue.get();
    queue.task_done();
    EXPECT_THROW(queue.task_done(), std::logic_error);
    EXPECT_EQ(queue.unfinished_tasks(), 0U); // the failed call did not wrap the count around
}

TEST(WorkQueue, JoinReturnsAtOnceWhenNothingWasPut) {
    WorkQueue<int> queue;
    queue.join(); // would hang if it waited for a task_done() that can never come
    SUCCEED();
}

TEST(WorkQueue, JoinBlocksUntilEveryPutHasItsTaskDone) {
    WorkQueue<int> queue;
    for (int i = 0; i < 3; ++i) {
        queue.put(i);
    }
    auto early_joiner = start_on_thread([&] { queue.join(); });

    for (int i = 0; i < 3; ++i) {
        (void)queue.get();
    }
    // The queue is empty now, yet nothing is done: a join() that looked at the items would return.
    auto late_joiner = start_on_thread([&] { queue.join(); });
    EXPECT_TRUE(still_blocked(late_joiner)) << "every item was taken, but none is done yet";
    EXPECT_TRUE(still_blocked(early_joiner));

    queue.task_done();
    queue.task_done();
    EXPECT_TRUE(still_blocked(late_joiner)) << "one task is still unfinished";
    EXPECT_TRUE(still_blocked(early_joiner));

    queue.task_done();
    ASSERT_TRUE(test::finishes(early_joiner)) << "still blocked: a hang";
    early_joiner.get();
    ASSERT_TRUE(test::finishes(late_joiner)) << "still blocked: a hang";
    late_joiner.get();
    EXPECT_EQ(queue.unfinished_tasks(), 0U);
}

TEST(WorkQueue, EveryJoinerWakesWhenTheLastTaskIsDone) {
    WorkQueue<int> queue;
    queue.put(1);
    constexpr int k_joiners = 8;
    std::atomic<int> returned{0};
    std::vector<std::future<void>> joiners;
    for (int i = 0; i < k_joiners; ++i) {
        joiners.push_back(start_on_thread([&] {
            queue.join();
            returned.fetch_add(1);
        }));
    }
    EXPECT_TRUE(all_still_blocked(joiners));
    EXPECT_EQ(returned.load(), 0);

    (void)queue.get();
    queue.task_done();

    for (auto& joiner : joiners) {
        ASSERT_TRUE(test::finishes(joiner)) << "still blocked: a hang";
        joiner.get();
    }
    EXPECT_EQ(returned.load(), k_joiners);
}

TEST(WorkQueue, CloseWakesEveryBlockedGetterWithNullopt) {
    WorkQueue<int> queue;
    constexpr int k_getters = 4;
    std::vector<std::future<std::optional<int>>> getters;
    for (int i = 0; i < k_getters; ++i) {
        getters.push_back(start_on_thread([&] { return queue.get(); }));
    }
    EXPECT_TRUE(all_still_blocked(getters));

    queue.close();

    for (auto& getter : getters) {
        ASSERT_TRUE(test::finishes(getter)) << "still blocked: a hang";
        EXPECT_EQ(getter.get(), std::nullopt);
    }
}

TEST(WorkQueue, GetDrainsWhatIsLeftAfterCloseBeforeReturningNullopt) {
    WorkQueue<int> queue;
    queue.put(1);
    queue.put(2);
    queue.put(3);

    queue.close();

    EXPECT_EQ(queue.get(), 1);
    EXPECT_EQ(queue.get(), 2);
    EXPECT_EQ(queue.get(), 3);
    EXPECT_EQ(queue.get(), std::nullopt);
    EXPECT_EQ(queue.get(), std::nullopt) << "a closed, drained queue stays that way";
}

TEST(WorkQueue, CloseDoesNotFinishTasksSoJoinStillWaitsForTaskDone) {
    WorkQueue<int> queue;
    queue.put(1);
    queue.close();
    EXPECT_EQ(queue.unfinished_tasks(), 1U);

    (void)queue.get();
    queue.task_done();
    queue.join();
    EXPECT_EQ(queue.unfinished_tasks(), 0U);
}

TEST(WorkQueue, PutAfterCloseThrowsQueueClosedAndAddsNothing) {
    WorkQueue<int> queue;
    queue.close();

    EXPECT_THROW(queue.put(1), QueueClosed);
    EXPECT_THROW(queue.put(1), std::logic_error); // QueueClosed is a logic_error
    EXPECT_EQ(queue.size(), 0U);
    EXPECT_EQ(queue.unfinished_tasks(), 0U);
}

TEST(WorkQueue, CloseCanBeCalledMoreThanOnce) {
    WorkQueue<int> queue;
    queue.close();
    queue.close();
    EXPECT_EQ(queue.get(), std::nullopt);
}

TEST(WorkQueue, CloseWakesAProducerBlockedInPutWhichThrowsQueueClosed) {
    WorkQueue<int> queue(1);
    queue.put(1);
    auto producer = start_on_thread([&] { queue.put(2); });
    EXPECT_TRUE(still_blocked(producer));

    queue.close();

    ASSERT_TRUE(test::finishes(producer)) << "still blocked: a hang";
    EXPECT_THROW(producer.get(), QueueClosed);
    EXPECT_EQ(queue.size(), 1U);
    EXPECT_EQ(queue.unfinished_tasks(), 1U); // the rejected item was never counted
    EXPECT_EQ(queue.get(), 1);
    EXPECT_EQ(queue.get(), std::nullopt);
}

TEST(TaskDoneGuard, CallsTaskDoneExactlyOnceWhenItsScopeEnds) {
    WorkQueue<int> queue;
    queue.put(1);
    queue.put(2);
    (void)queue.get();

    {
        TaskDoneGuard guard(queue);
        EXPECT_EQ(queue.unfinished_tasks(), 2U) << "nothing is done before the scope ends";
    }

    EXPECT_EQ(queue.unfinished_tasks(), 1U);
}

TEST(TaskDoneGuard, CallsTaskDoneExactlyOnceWhenAnExceptionPropagates) {
    WorkQueue<int> queue;
    queue.put(1);
    queue.put(2);
    (void)queue.get();

    EXPECT_THROW(
        {
            TaskDoneGuard guard(queue);
            throw std::runtime_error("handler failed");
        },
        std::runtime_error);

    EXPECT_EQ(queue.unfinished_tasks(), 1U);
}

TEST(TaskDoneGuard, LetsJoinReturnOnceEveryItemIsGuarded) {
    WorkQueue<int> queue;
    queue.put(1);
    auto joiner = start_on_thread([&] { queue.join(); });
    EXPECT_TRUE(still_blocked(joiner));

    {
        (void)queue.get();
        TaskDoneGuard guard(queue);
    }

    ASSERT_TRUE(test::finishes(joiner)) << "still blocked: a hang";
    joiner.get();
    EXPECT_EQ(queue.unfinished_tasks(), 0U);
}

// Every rule at once, under contention: many producers and consumers on a tiny queue.
TEST(WorkQueue, GetPreferringTakesTheFirstPreferredItemWithinTheLookAhead) {
    WorkQueue<int> queue;
    for (int item : {1, 3, 4, 6, 8}) {
        queue.put(item);
    }
    const auto even = [](const int& item) { return item % 2 == 0; };

    EXPECT_EQ(queue.get_preferring(even, 3, 10), 4) << "the first even one, past 1 and 3";
    EXPECT_EQ(queue.get_preferring(even, 1, 10), 1) << "none within 1: the front";
    EXPECT_EQ(queue.get(), 3) << "the others keep their order";
    EXPECT_EQ(queue.size(), 2U);
}

TEST(WorkQueue, GetPreferringPassesTheFrontItemOverAtMostMaxPassesTimesInARow) {
    WorkQueue<int> queue;
    queue.put(1); // never preferred
    for (int item = 2; item <= 20; item += 2) {
        queue.put(item);
    }
    const auto even = [](const int& item) { return item % 2 == 0; };

    EXPECT_EQ(queue.get_preferring(even, 64, 3), 2);
    EXPECT_EQ(queue.get_preferring(even, 64, 3), 4);
    EXPECT_EQ(queue.get_preferring(even, 64, 3), 6);
    EXPECT_EQ(queue.get_preferring(even, 64, 3), 1) << "passed over 3 times: taken now";
    EXPECT_EQ(queue.get_preferring(even, 64, 3), 8);
}

TEST(WorkQueue, GetPreferringKeepsTheAccountingAndEndsWithNulloptOnceClosedAndDrained) {
    WorkQueue<int> queue(4);
    queue.put(1);
    queue.put(2);
    queue.close();
    const auto two = [](const int& item) { return item == 2; };

    EXPECT_EQ(queue.get_preferring(two, 4, 4), 2);
    EXPECT_EQ(queue.get_preferring(two, 4, 4), 1);
    EXPECT_EQ(queue.get_preferring(two, 4, 4), std::nullopt);
    EXPECT_EQ(queue.unfinished_tasks(), 2U) << "only task_done() finishes them";
    queue.task_done();
    queue.task_done();
    queue.join(); // returns: every put has had its task_done
}

TEST(WorkQueue, ManyProducersAndConsumersReceiveEveryItemExactlyOnce) {
    constexpr int k_producers = 8;
    constexpr int k_consumers = 8;
    constexpr int k_items_per_producer = 2'500;
    constexpr int k_items = k_producers * k_items_per_producer;
    constexpr std::size_t k_capacity = 4;

    WorkQueue<int> queue(k_capacity);
    std::atomic<std::size_t> max_size_seen{0};
    auto observe_size = [&] {
        const std::size_t now = queue.size();
        std::size_t seen = max_size_seen.load();
        while (now > seen && !max_size_seen.compare_exchange_weak(seen, now)) {
        }
    };

    // Item value = producer * k_items_per_producer + n, so each value names its producer and
    // its position in that producer's sequence.
    std::vector<std::vector<int>> received(k_consumers);
    std::barrier start_together(k_producers + k_consumers);
    {
        std::vector<std::jthread> consumers;
        for (int c = 0; c < k_consumers; ++c) {
            consumers.emplace_back([&, c] {
                start_together.arrive_and_wait();
                while (std::optional<int> item = queue.get()) {
                    TaskDoneGuard guard(queue);
                    observe_size();
                    received[static_cast<std::size_t>(c)].push_back(*item);
                }
            });
        }
        {
            std::vector<std::jthread> producers;
            for (int p = 0; p < k_producers; ++p) {
                producers.emplace_back([&, p] {
                    start_together.arrive_and_wait();
                    for (int n = 0; n < k_items_per_producer; ++n) {
                        queue.put(p * k_items_per_producer + n);
                        observe_size();
                    }
                });
            }
        } // every producer has finished putting

        queue.join();
        EXPECT_EQ(queue.unfinished_tasks(), 0U);
        EXPECT_EQ(queue.size(), 0U);
        queue.close();
    } // every consumer has seen nullopt and exited

    std::vector<int> times_seen(k_items, 0);
    std::size_t count = 0;
    std::int64_t sum = 0;
    for (const auto& items : received) {
        std::vector<int> last_from_producer(k_producers, -1);
        for (const int item : items) {
            ASSERT_GE(item, 0);
            ASSERT_LT(item, k_items);
            ++times_seen[static_cast<std::size_t>(item)];
            ++count;
            sum += item;
            // FIFO survives contention: one consumer sees each producer's items in put order.
            auto& last = last_from_producer[static_cast<std::size_t>(item / k_items_per_producer)];
            EXPECT_GT(item, last);
            last = item;
        }
    }
    EXPECT_EQ(count, static_cast<std::size_t>(k_items));
    EXPECT_EQ(sum, static_cast<std::int64_t>(k_items) * (k_items - 1) / 2);
    EXPECT_TRUE(std::all_of(times_seen.begin(), times_seen.end(), [](int n) { return n == 1; }))
        << "some item was lost or delivered twice";
    EXPECT_LE(max_size_seen.load(), k_capacity);
    EXPECT_GT(max_size_seen.load(), 0U);
}

} // namespace
} // namespace imgfetch
