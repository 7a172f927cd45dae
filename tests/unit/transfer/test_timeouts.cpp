// Timeouts against loopback servers: a server that never answers or stops sending fails after
// the stall timeout, a trickle after the attempt timeout.
#include <gtest/gtest.h>

#include <chrono>

#include "support/raw_server.hpp"
#include "support/resilience.hpp"

namespace imgfetch {
namespace {

using test::contains;
using test::fake_png;
using test::http_head;
using test::RawConnection;
using test::RawServer;
using test::Resilience;
using test::seconds_since;
using test::SteadyClock;

class Timeouts : public Resilience {};

TEST_F(Timeouts, AServerThatNeverAnswersFailsAfterTheStallTimeout) {
    settings.stall_timeout_s = 1;
    RawServer silent([](RawConnection& connection) {
        connection.read_request();
        connection.hold();
    });
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(silent.url("/x.png"));

    const double elapsed = seconds_since(start);
    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "stalled")) << result.error;
    EXPECT_GE(elapsed, 1.0);
    EXPECT_LT(elapsed, 10.0);
    EXPECT_TRUE(files().empty());
}

TEST_F(Timeouts, ABodyThatStopsFlowingFailsAfterTheStallTimeout) {
    settings.stall_timeout_s = 1;
    RawServer stuck([](RawConnection& connection) {
        connection.read_request();
        connection.send(http_head("Content-Length: 100000\r\n") + fake_png(3, 10'000));
        connection.hold();
    });
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(stuck.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "stalled")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_LT(seconds_since(start), 10.0);
    EXPECT_TRUE(files().empty()) << "the temporary is removed";
}

TEST_F(Timeouts, ATrickleOfOneBytePerSecondFailsWhenTheAttemptTimesOut) {
    settings.timeout_s = 2; // the stall timeout (30 s) never fires: a byte arrives every second
    RawServer trickle([](RawConnection& connection) {
        connection.read_request();
        // Enough for the image check, so a temporary exists when the time runs out.
        if (!connection.send(http_head("Content-Length: 100000\r\n") + fake_png(4, 100))) {
            return;
        }
        // The server is the slow party here: one byte a second.
        while (connection.pause(std::chrono::seconds(1)) && connection.send("x")) {
        }
    });
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(trickle.url("/x.png"));

    const double elapsed = seconds_since(start);
    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "timed out")) << result.error;
    EXPECT_GE(elapsed, 2.0);
    EXPECT_LT(elapsed, 10.0);
    EXPECT_TRUE(files().empty()) << "the temporary is removed";
}

} // namespace
} // namespace imgfetch
