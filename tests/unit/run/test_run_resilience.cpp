// Retries and timeouts in a whole run (imgfetch::run in-process, with a JSON report): a retry
// wait or a silent server holds up one worker, not the pool; the report counts every attempt.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "imgfetch/app.hpp"
#include "support/raw_server.hpp"
#include "support/resilience.hpp"

namespace imgfetch {
namespace {

using nlohmann::json;
using test::Arrivals;
using test::contains;
using test::RawConnection;
using test::RawServer;
using test::ResilienceRun;
using test::seconds_since;
using test::serve_flaky;
using test::SteadyClock;

class RetriesInARun : public ResilienceRun {};
class TimeoutsInARun : public ResilienceRun {};

TEST_F(RetriesInARun, ARetryWaitDoesNotHoldUpTheOtherWorkers) {
    serve_images();
    Arrivals arrivals;
    // No Retry-After: that would back off the whole host, these images included (see
    // test_politeness.cpp). The backoff is 2..4 s (--retry-delay 4, with jitter).
    serve_flaky(server, "/slow.png", 503, 1, arrivals);
    std::vector<std::string> urls{server.url("/slow.png")};
    for (int i = 0; i < 6; ++i) {
        urls.push_back(server.url("/img/" + std::to_string(i) + ".png"));
    }
    options.input.lists = {write_list(urls)};
    options.transfer.retry_delay_s = 4;
    options.politeness.jobs = 2; // while one worker waits 2+ s, the other must take all six images

    EXPECT_EQ(run(options), 0);

    const json files = report()["files"];
    ASSERT_EQ(files.size(), 7U);
    EXPECT_EQ(files[0]["status"], "ok");
    EXPECT_EQ(files[0]["attempts"], 2);
    const double slow_end = files[0]["end"].get<double>();
    EXPECT_GE(slow_end, 2.0);
    for (std::size_t i = 1; i < files.size(); ++i) {
        EXPECT_EQ(files[i]["status"], "ok") << files[i];
        EXPECT_EQ(files[i]["attempts"], 1) << files[i];
        EXPECT_LT(files[i]["end"].get<double>() + 1.0, slow_end) << files[i];
    }
}

TEST_F(RetriesInARun, TheReportCountsEveryAttempt) {
    serve_images();
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 100, arrivals);
    options.input.lists = {write_list({server.url("/busy.png"), server.url("/img/1.png")})};
    options.transfer.retries = 2;

    EXPECT_EQ(run(options), 1);

    const json files = report()["files"];
    ASSERT_EQ(files.size(), 2U);
    EXPECT_EQ(files[0]["status"], "failed");
    EXPECT_EQ(files[0]["attempts"], 3);
    EXPECT_EQ(files[0]["http_status"], 503);
    EXPECT_EQ(files[0]["error"], "HTTP 503");
    EXPECT_EQ(files[1]["attempts"], 1);
}

TEST_F(RetriesInARun, SequentialModeRetriesToo) {
    Arrivals arrivals;
    serve_flaky(server, "/a.png", 500, 1, arrivals);
    options.input.lists = {write_list({server.url("/a.png")})};
    options.politeness.sequential = true;

    EXPECT_EQ(run(options), 0);

    EXPECT_EQ(report()["files"][0]["attempts"], 2);
}

TEST_F(TimeoutsInARun, ASilentServerDoesNotHoldUpTheRestOfThePool) {
    serve_images();
    RawServer silent([](RawConnection& connection) {
        connection.read_request();
        connection.hold();
    });
    std::vector<std::string> urls{silent.url("/silent.png")};
    for (int i = 0; i < 4; ++i) {
        urls.push_back(server.url("/img/" + std::to_string(i) + ".png"));
    }
    options.input.lists = {write_list(urls)};
    options.politeness.jobs = 2;
    options.transfer.stall_timeout_s = 1;
    options.transfer.retries = 0;
    const auto start = SteadyClock::now();

    EXPECT_EQ(run(options), 1);

    EXPECT_LT(seconds_since(start), 10.0);
    const json files = report()["files"];
    ASSERT_EQ(files.size(), 5U);
    EXPECT_EQ(files[0]["status"], "failed");
    EXPECT_TRUE(contains(files[0]["error"].get<std::string>(), "stalled")) << files[0];
    for (std::size_t i = 1; i < files.size(); ++i) {
        EXPECT_EQ(files[i]["status"], "ok") << files[i];
        EXPECT_LT(files[i]["end"].get<double>(), files[0]["end"].get<double>()) << files[i];
    }
}

} // namespace
} // namespace imgfetch
