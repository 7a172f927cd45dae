// HostBackoff on its own: a host's Retry-After pause, shared by every thread. No network,
// real threads.
#include "imgfetch/run/host_backoff.hpp"
#include "support/timing.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <stop_token>
#include <thread>
#include <vector>

namespace imgfetch {
namespace {

using Clock = std::chrono::steady_clock;

using test::seconds_of;

TEST(HostBackoff, HasBackoffsOnlyOnceAHostWasBackedOff) {
    HostBackoff backoff;
    EXPECT_FALSE(backoff.has_backoffs());
    backoff.back_off("a", 0); // no pause at all
    EXPECT_FALSE(backoff.has_backoffs());
    EXPECT_FALSE(backoff.backed_off("a"));

    backoff.back_off("a", 60);
    EXPECT_TRUE(backoff.has_backoffs());
    EXPECT_TRUE(backoff.backed_off("a"));
    EXPECT_FALSE(backoff.backed_off("b"));
}

TEST(HostBackoff, WaitOutBackoffBlocksUntilTheHostsDeadlineOrAStop) {
    HostBackoff backoff;
    backoff.back_off("a", 0.4);
    backoff.back_off("a", 0.1); // never shortens

    EXPECT_LT(seconds_of([&] { EXPECT_TRUE(backoff.wait_out_backoff("b", {})); }), 0.2)
        << "other hosts do not wait";
    EXPECT_GE(seconds_of([&] { EXPECT_TRUE(backoff.wait_out_backoff("a", {})); }), 0.3);

    backoff.back_off("a", 60);
    std::stop_source stop;
    bool waited_out = true;
    const double seconds = seconds_of([&] {
        std::jthread waiter([&] { waited_out = backoff.wait_out_backoff("a", stop.get_token()); });
        stop.request_stop();
    });
    EXPECT_FALSE(waited_out);
    EXPECT_LT(seconds, 10.0) << "a stop ends the 60 s wait";
}

// Many threads wait out one host's backoff: none returns while the backoff is in force, and a
// waiter for another host is not held back by it.
TEST(HostBackoff, NoWaiterReturnsWhileItsHostIsBackedOffAndOtherHostsAreNotHeldBack) {
    constexpr int k_waiters = 4;
    HostBackoff backoff;
    backoff.back_off("a", 0.2);
    std::atomic<int> returned_early{0};
    std::latch started(k_waiters);
    {
        std::vector<std::jthread> waiters;
        for (int i = 0; i < k_waiters; ++i) {
            waiters.emplace_back([&] {
                started.count_down();
                EXPECT_TRUE(backoff.wait_out_backoff("a", {}));
                if (backoff.backed_off("a")) {
                    ++returned_early; // the clock is monotonic: this must never happen
                }
            });
        }
        started.wait();
        backoff.back_off("b", 60);
        EXPECT_TRUE(backoff.backed_off("b"));
    }
    EXPECT_EQ(returned_early.load(), 0);
    EXPECT_FALSE(backoff.backed_off("a")) << "over";

    // "b" is backed off for a minute: a waiter for "c" on another thread still returns at once
    // (a hang here is the failure), and one for "b" only on stop.
    std::stop_source stop;
    bool b_waited_out = true;
    std::latch c_done(1);
    {
        std::jthread c_waiter([&] {
            EXPECT_TRUE(backoff.wait_out_backoff("c", {}));
            c_done.count_down();
        });
        std::jthread b_waiter(
            [&] { b_waited_out = backoff.wait_out_backoff("b", stop.get_token()); });
        c_done.wait();
        EXPECT_TRUE(backoff.backed_off("b")) << "c's waiter returned while b's backoff held";
        stop.request_stop();
    }
    EXPECT_FALSE(b_waited_out) << "b's waiter ended by the stop, not by the minute passing";
}

// A backoff recorded on one thread is seen by another at once, and a shorter one never
// shortens it.
TEST(HostBackoff, ABackoffFromOneThreadHoldsEveryThreadAndIsNeverShortened) {
    HostBackoff backoff;
    std::latch recorded(1);
    std::jthread recorder([&] {
        backoff.back_off("a", 60);
        recorded.count_down();
    });
    recorded.wait();
    EXPECT_TRUE(backoff.has_backoffs());
    const auto until = backoff.until("a", Clock::now());
    ASSERT_TRUE(until);
    backoff.back_off("a", 0.01);
    EXPECT_EQ(backoff.until("a", Clock::now()), until);
    EXPECT_FALSE(backoff.until("a", *until)) << "in force only before its end";
}

} // namespace
} // namespace imgfetch
