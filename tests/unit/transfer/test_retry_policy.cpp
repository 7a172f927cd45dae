// The backoff formula from a table of cases, and the interruptible wait against a real second
// thread. The wait tests never sleep to synchronise: a latch says the waiter is about to wait,
// and every assertion holds whether or not the stop lands before the wait has begun.
#include "imgfetch/transfer/retry_policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <future>
#include <latch>
#include <limits>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

namespace imgfetch {
namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

constexpr unsigned k_huge_attempts[] = {31U, 64U, 1000U, 1U << 20U,
                                        std::numeric_limits<unsigned>::max()};

// --- which failures are transient --------------------------------------------------------

TEST(TransientFailure, RequestTimeoutTooManyRequestsAndEvery5xxAreTransient) {
    for (const long status : {408L, 429L, 500L, 502L, 503L, 504L, 599L}) {
        EXPECT_TRUE(is_transient_http_status(status)) << status;
    }
    for (const long status : {200L, 301L, 304L, 400L, 401L, 403L, 404L, 410L, 499L, 600L}) {
        EXPECT_FALSE(is_transient_http_status(status)) << status;
    }
}

TEST(TransientFailure, NetworkTroubleIsTransientButNotDnsTlsVerificationOrOurOwnAbort) {
    for (const CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR,
                                CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
                                CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_SSL_CONNECT_ERROR}) {
        EXPECT_TRUE(is_transient_curl_error(code)) << curl_easy_strerror(code);
    }
    for (const CURLcode code :
         {CURLE_COULDNT_RESOLVE_HOST, CURLE_PEER_FAILED_VERIFICATION, CURLE_UNSUPPORTED_PROTOCOL,
          CURLE_TOO_MANY_REDIRECTS, CURLE_WRITE_ERROR, CURLE_ABORTED_BY_CALLBACK}) {
        EXPECT_FALSE(is_transient_curl_error(code)) << curl_easy_strerror(code);
    }
}

TEST(TransientFailure, AdviceForAStatusKeepsAPositiveRetryAfterOnly) {
    const RetryAdvice busy = advice_for_http_status(503, 7.0);
    EXPECT_TRUE(busy.retryable);
    EXPECT_EQ(busy.retry_after_s, 7.0);

    const RetryAdvice gone = advice_for_http_status(404, 5.0);
    EXPECT_FALSE(gone.retryable);
    EXPECT_EQ(gone.retry_after_s, 5.0) << "the host backoff reads it whatever the status";

    EXPECT_EQ(advice_for_http_status(429, 0.0).retry_after_s, std::nullopt);
    EXPECT_EQ(advice_for_http_status(429, std::nullopt).retry_after_s, std::nullopt);
}

// --- retry_delay_seconds --------------------------------------------------------------------

TEST(RetryDelay, RetryAfterWinsOverTheBackoff) {
    EXPECT_EQ(retry_delay_seconds(1, 5.0, 1.0, 60.0, 0.0), 5.0);
    EXPECT_EQ(retry_delay_seconds(1, 5.0, 1.0, 60.0, 1.0), 5.0) << "no jitter on Retry-After";
    EXPECT_EQ(retry_delay_seconds(6, 2.0, 1.0, 60.0, 1.0), 2.0) << "even below the backoff";
    EXPECT_EQ(retry_delay_seconds(1, 0.0, 1.0, 60.0, 1.0), 0.0);
}

TEST(RetryDelay, RetryAfterIsCappedByTheMaximumWait) {
    EXPECT_EQ(retry_delay_seconds(1, 120.0, 1.0, 60.0, 0.5), 60.0);
    EXPECT_EQ(retry_delay_seconds(1, 1e300, 1.0, 60.0, 0.5), 60.0);
    EXPECT_EQ(retry_delay_seconds(1, std::numeric_limits<double>::infinity(), 1.0, 60.0, 0.5),
              60.0);
    EXPECT_EQ(retry_delay_seconds(1, 5.0, 1.0, 0.0, 0.5), 0.0);
}

TEST(RetryDelay, NegativeRetryAfterMeansNoWait) {
    EXPECT_EQ(retry_delay_seconds(1, -3.0, 1.0, 60.0, 1.0), 0.0);
}

TEST(RetryDelay, FullJitterGivesTheWholeDoublingBackoff) {
    EXPECT_EQ(retry_delay_seconds(1, std::nullopt, 1.0, 1000.0, 1.0), 1.0);
    EXPECT_EQ(retry_delay_seconds(2, std::nullopt, 1.0, 1000.0, 1.0), 2.0);
    EXPECT_EQ(retry_delay_seconds(3, std::nullopt, 1.0, 1000.0, 1.0), 4.0);
    EXPECT_EQ(retry_delay_seconds(4, std::nullopt, 1.0, 1000.0, 1.0), 8.0);
    EXPECT_EQ(retry_delay_seconds(5, std::nullopt, 0.25, 1000.0, 1.0), 4.0);
}

TEST(RetryDelay, ZeroJitterGivesHalfTheBackoff) {
    EXPECT_EQ(retry_delay_seconds(1, std::nullopt, 1.0, 1000.0, 0.0), 0.5);
    EXPECT_EQ(retry_delay_seconds(2, std::nullopt, 1.0, 1000.0, 0.0), 1.0);
    EXPECT_EQ(retry_delay_seconds(3, std::nullopt, 1.0, 1000.0, 0.0), 2.0);
    EXPECT_EQ(retry_delay_seconds(4, std::nullopt, 2.0, 1000.0, 0.0), 8.0);
}

TEST(RetryDelay, JitterPicksAPointInTheUpperHalf) {
    EXPECT_EQ(retry_delay_seconds(3, std::nullopt, 1.0, 1000.0, 0.5), 3.0);
    for (double jitter = 0.0; jitter <= 1.0; jitter += 0.125) {
        const double delay = retry_delay_seconds(4, std::nullopt, 1.0, 1000.0, jitter);
        EXPECT_GE(delay, 4.0) << jitter;
        EXPECT_LE(delay, 8.0) << jitter;
    }
}

TEST(RetryDelay, JitterOutsideZeroToOneIsClamped) {
    EXPECT_EQ(retry_delay_seconds(2, std::nullopt, 1.0, 1000.0, -7.0), 1.0);
    EXPECT_EQ(retry_delay_seconds(2, std::nullopt, 1.0, 1000.0, 7.0), 2.0);
}

TEST(RetryDelay, TheMaximumWaitCapsTheBackoff) {
    EXPECT_EQ(retry_delay_seconds(7, std::nullopt, 1.0, 60.0, 1.0), 60.0); // 64 -> 60
    EXPECT_EQ(retry_delay_seconds(7, std::nullopt, 1.0, 60.0, 0.0), 30.0);
    EXPECT_EQ(retry_delay_seconds(6, std::nullopt, 1.0, 60.0, 1.0), 32.0); // below the cap
    EXPECT_EQ(retry_delay_seconds(3, std::nullopt, 1.0, 0.0, 1.0), 0.0);
    for (unsigned attempt = 1; attempt <= 40; ++attempt) {
        EXPECT_LE(retry_delay_seconds(attempt, std::nullopt, 3.0, 10.0, 1.0), 10.0) << attempt;
    }
}

TEST(RetryDelay, ZeroBaseNeverWaits) {
    EXPECT_EQ(retry_delay_seconds(1, std::nullopt, 0.0, 60.0, 1.0), 0.0);
    EXPECT_EQ(retry_delay_seconds(50, std::nullopt, 0.0, 60.0, 1.0), 0.0);
}

TEST(RetryDelay, HugeAttemptNumbersStayFiniteAndCapped) {
    for (const unsigned attempt : k_huge_attempts) {
        for (const double base : {0.001, 1.0, 3600.0, 1e300}) {
            const double full = retry_delay_seconds(attempt, std::nullopt, base, 60.0, 1.0);
            const double half = retry_delay_seconds(attempt, std::nullopt, base, 60.0, 0.0);
            EXPECT_TRUE(std::isfinite(full)) << attempt << ' ' << base;
            EXPECT_LE(full, 60.0) << attempt << ' ' << base;
            EXPECT_GE(half, 0.0) << attempt << ' ' << base;
            EXPECT_LE(half, full) << attempt << ' ' << base;
        }
        EXPECT_EQ(retry_delay_seconds(attempt, std::nullopt, 1.0, 60.0, 1.0), 60.0) << attempt;
    }
}

TEST(RetryDelay, ZeroAttemptsWaitsNoLongerThanTheFirstRetry) {
    EXPECT_LE(retry_delay_seconds(0, std::nullopt, 1.0, 60.0, 1.0),
              retry_delay_seconds(1, std::nullopt, 1.0, 60.0, 1.0));
}

// --- wait_unless_stopped --------------------------------------------------------------------

TEST(WaitUnlessStopped, ReturnsTrueOnceTheTimeHasPassed) {
    const std::stop_source never_stopped;
    const auto start = Clock::now();

    EXPECT_TRUE(wait_unless_stopped(never_stopped.get_token(), 0.05));

    EXPECT_GE(Seconds(Clock::now() - start).count(), 0.05);
}

TEST(WaitUnlessStopped, ZeroSecondsReturnsTrueAtOnce) {
    const std::stop_source never_stopped;
    EXPECT_TRUE(wait_unless_stopped(never_stopped.get_token(), 0.0));
}

TEST(WaitUnlessStopped, ATokenWithoutAStopSourceJustWaits) {
    EXPECT_TRUE(wait_unless_stopped(std::stop_token{}, 0.02));
}

TEST(WaitUnlessStopped, ReturnsFalseImmediatelyWhenAlreadyStopped) {
    std::stop_source stop;
    stop.request_stop();
    const auto start = Clock::now();

    EXPECT_FALSE(wait_unless_stopped(stop.get_token(), 30.0));

    EXPECT_LT(Seconds(Clock::now() - start).count(), 1.0);
}

TEST(WaitUnlessStopped, ReturnsFalsePromptlyWhenStoppedFromAnotherThread) {
    std::stop_source stop;
    std::latch about_to_wait(1);
    auto waiter = std::async(std::launch::async, [&] {
        about_to_wait.count_down();
        const bool waited_in_full = wait_unless_stopped(stop.get_token(), 30.0);
        return std::make_pair(waited_in_full, Clock::now());
    });
    about_to_wait.wait();
    // Not synchronisation: the outcome is the same if the stop lands before the wait begins.
    // The pause only makes it likely that the stop wakes a wait already in progress.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto requested = Clock::now();
    stop.request_stop();

    ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready)
        << "the wait ignored request_stop()";
    const auto [waited_in_full, returned] = waiter.get();
    EXPECT_FALSE(waited_in_full);
    EXPECT_LT(Seconds(returned - requested).count(), 2.0);
}

TEST(WaitUnlessStopped, OneStopWakesEveryWaiter) {
    constexpr int k_waiters = 4;
    std::stop_source stop;
    std::latch about_to_wait(k_waiters);
    std::vector<std::future<bool>> waiters;
    for (int i = 0; i < k_waiters; ++i) {
        waiters.push_back(std::async(std::launch::async, [&] {
            about_to_wait.count_down();
            return wait_unless_stopped(stop.get_token(), 30.0);
        }));
    }
    about_to_wait.wait();
    stop.request_stop();

    for (auto& waiter : waiters) {
        ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
        EXPECT_FALSE(waiter.get());
    }
}

} // namespace
} // namespace imgfetch
