// Stop requests (SIGINT/SIGTERM in a run) during a retry wait, during a transfer, and before the
// first attempt.
#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>

#include "support/raw_server.hpp"
#include "support/resilience.hpp"

namespace imgfetch {
namespace {

using test::Arrivals;
using test::Event;
using test::RawConnection;
using test::RawServer;
using test::Resilience;
using test::ScopedLogWatch;
using test::serve_flaky;
using test::SteadyClock;
using test::StopWhen;

class Interrupts : public Resilience {};

TEST_F(Interrupts, AStopRequestEndsAPendingRetryWaitPromptly) {
    settings.retries = 3;
    settings.retry_max_wait_s = 60;
    Arrivals arrivals;
    serve_flaky(server, "/later.png", 503, 100, arrivals, "30");
    std::stop_source source;
    Event wait_began;
    Event stopped;
    // The retry warning is logged just before the 30 s wait begins.
    const ScopedLogWatch watch("retry 1/3 in 30.0 s", [&] { wait_began.set(); });
    TransferResult result;
    {
        const StopWhen stopper(wait_began, source, stopped);

        result = fetch(server.url("/later.png"), source.get_token());
    }

    const auto returned_at = SteadyClock::now();
    ASSERT_TRUE(stopped.is_set()) << "no retry wait began: " << result.error;
    EXPECT_LT(std::chrono::duration<double>(returned_at - stopped.when()).count(), 2.0);
    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "HTTP 503 (interrupted while waiting to retry)");
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(arrivals.count(), 1U);
}

TEST_F(Interrupts, AStopRequestAbortsATransferInProgressWithoutRetrying) {
    settings.retries = 3;
    Event request_arrived;
    Event stopped;
    RawServer silent([&](RawConnection& connection) {
        connection.read_request();
        request_arrived.set();
        connection.hold();
    });
    std::stop_source source;
    TransferResult result;
    {
        const StopWhen stopper(request_arrived, source, stopped);

        result = fetch(silent.url("/x.png"), source.get_token());
    }

    const auto returned_at = SteadyClock::now();
    ASSERT_TRUE(stopped.is_set()) << result.error;
    // libcurl calls the progress callback that sees the stop about once a second.
    EXPECT_LT(std::chrono::duration<double>(returned_at - stopped.when()).count(), 3.0);
    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "interrupted");
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(silent.accepted(), 1);
    EXPECT_TRUE(files().empty());
}

TEST_F(Interrupts, AStopRequestedBeforeTheFirstAttemptDownloadsNothing) {
    Arrivals arrivals;
    serve_flaky(server, "/a.png", 503, 0, arrivals);
    std::stop_source source;
    source.request_stop();

    const TransferResult result = fetch(server.url("/a.png"), source.get_token());

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "interrupted before it started");
    EXPECT_EQ(result.attempts, 0U);
    EXPECT_EQ(arrivals.count(), 0U);
    EXPECT_TRUE(files().empty());
}

} // namespace
} // namespace imgfetch
