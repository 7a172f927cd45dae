// download_with_retries against loopback servers: which failures are retried, how often, and
// how long it waits before each retry (its own backoff, or the server's Retry-After).
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "support/raw_server.hpp"
#include "support/resilience.hpp"

namespace imgfetch {
namespace {

using test::Arrivals;
using test::contains;
using test::fake_png;
using test::http_date_in;
using test::http_head;
using test::RawConnection;
using test::RawServer;
using test::read_file;
using test::RefusingPort;
using test::Resilience;
using test::seconds_since;
using test::serve_flaky;
using test::SteadyClock;

class Retries : public Resilience {};

TEST_F(Retries, A503ThenOkSucceedsOnTheSecondAttempt) {
    settings.retries = 3;
    Arrivals arrivals;
    serve_flaky(server, "/a.png", 503, 1, arrivals);

    const TransferResult result = fetch(server.url("/a.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(arrivals.count(), 2U);
    EXPECT_EQ(read_file(temp / "out" / "x.png"), fake_png(1));
}

TEST_F(Retries, RequestTimeoutTooManyRequestsAndEvery5xxAreRetried) {
    settings.retries = 1;
    std::vector<std::unique_ptr<Arrivals>> arrivals;
    const std::vector<int> statuses{408, 429, 500, 502, 503, 504, 599};
    for (const int status : statuses) {
        arrivals.push_back(std::make_unique<Arrivals>());
        serve_flaky(server, "/" + std::to_string(status), status, 1, *arrivals.back());
    }

    for (std::size_t i = 0; i < statuses.size(); ++i) {
        const TransferResult result = fetch(server.url("/" + std::to_string(statuses[i])));
        EXPECT_EQ(result.status, Status::ok) << statuses[i] << ": " << result.error;
        EXPECT_EQ(result.attempts, 2U) << statuses[i];
        EXPECT_EQ(arrivals[i]->count(), 2U) << statuses[i];
    }
}

TEST_F(Retries, A404IsNeverRetried) {
    settings.retries = 3;
    Arrivals arrivals;
    serve_flaky(server, "/gone.png", 404, 100, arrivals);

    const TransferResult result = fetch(server.url("/gone.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "HTTP 404");
    EXPECT_EQ(result.http_status, 404);
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(arrivals.count(), 1U);
}

TEST_F(Retries, OtherClientErrorsAreNeverRetriedEither) {
    settings.retries = 3;
    std::vector<std::unique_ptr<Arrivals>> arrivals;
    const std::vector<int> statuses{400, 401, 403, 410, 418, 451};
    for (const int status : statuses) {
        arrivals.push_back(std::make_unique<Arrivals>());
        serve_flaky(server, "/" + std::to_string(status), status, 100, *arrivals.back());
    }

    for (std::size_t i = 0; i < statuses.size(); ++i) {
        const TransferResult result = fetch(server.url("/" + std::to_string(statuses[i])));
        EXPECT_EQ(result.status, Status::failed) << statuses[i];
        EXPECT_EQ(result.attempts, 1U) << statuses[i];
        EXPECT_EQ(arrivals[i]->count(), 1U) << statuses[i];
    }
}

TEST_F(Retries, GivesUpAfterTheConfiguredRetriesAndCountsEveryAttempt) {
    settings.retries = 2;
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 100, arrivals);

    const TransferResult result = fetch(server.url("/busy.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "HTTP 503");
    EXPECT_EQ(result.http_status, 503);
    EXPECT_EQ(result.attempts, 3U);
    EXPECT_EQ(arrivals.count(), 3U);
    EXPECT_TRUE(files().empty());
}

TEST_F(Retries, ZeroRetriesMeansOneAttempt) {
    settings.retries = 0;
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 100, arrivals);

    const TransferResult result = fetch(server.url("/busy.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(arrivals.count(), 1U);
}

TEST_F(Retries, ARefusedConnectionIsRetried) {
    settings.retries = 2;
    const RefusingPort refusing;

    const TransferResult result = fetch(refusing.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "connect")) << result.error;
    EXPECT_FALSE(result.http_status.has_value());
    EXPECT_EQ(result.attempts, 3U);
}

TEST_F(Retries, AConnectionClosedWithoutAReplyIsRetriedOnANewConnection) {
    settings.retries = 3;
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        if (connection.index() == 0) {
            connection.close(); // "Empty reply from server"
            return;
        }
        const std::string body = fake_png(2);
        connection.send(http_head("Content-Length: " + std::to_string(body.size()) + "\r\n") +
                        body);
        connection.hold();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_EQ(raw.accepted(), 2);
    EXPECT_EQ(read_file(temp / "out" / "x.png"), fake_png(2));
}

TEST_F(Retries, AnAttemptThatTimesOutIsRetried) {
    settings.retries = 1;
    settings.timeout_s = 0.3;
    RawServer silent([](RawConnection& connection) {
        connection.read_request();
        connection.hold();
    });

    const TransferResult result = fetch(silent.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "timed out")) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_EQ(silent.accepted(), 2);
}

// A stall is a timeout, and timeouts are transient: the stall abort must stay retryable.
TEST_F(Retries, AStalledAttemptIsRetriedLikeAnyOtherTimeout) {
    settings.retries = 1;
    settings.stall_timeout_s = 1;
    RawServer silent([](RawConnection& connection) {
        connection.read_request();
        connection.hold();
    });

    const TransferResult result = fetch(silent.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "stalled")) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_EQ(silent.accepted(), 2);
}

TEST_F(Retries, WaitsTwiceAsLongBeforeEachFurtherRetry) {
    settings.retries = 3;
    settings.retry_delay_s = 0.1;
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 100, arrivals);
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(server.url("/busy.png"));

    EXPECT_EQ(result.attempts, 4U);
    const std::vector<double> gaps = arrivals.gaps();
    ASSERT_EQ(gaps.size(), 3U);
    // With "equal jitter" the n-th wait is in [d/2, d] for d = 0.1 s * 2^(n-1): each gap is at
    // least its lower bound, and the last one (>= 0.2 s) exceeds any undoubled wait (<= 0.1 s).
    EXPECT_GE(gaps[0], 0.05);
    EXPECT_GE(gaps[1], 0.1);
    EXPECT_GE(gaps[2], 0.2);
    EXPECT_LT(seconds_since(start), 5.0);
}

TEST_F(Retries, HonoursRetryAfterInSeconds) {
    settings.retries = 1;
    Arrivals arrivals;
    serve_flaky(server, "/later.png", 503, 1, arrivals, "1");
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(server.url("/later.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    ASSERT_EQ(arrivals.gaps().size(), 1U);
    EXPECT_GE(arrivals.gaps()[0], 1.0) << "the server's 1 s, not the 0.01 s backoff";
    EXPECT_LT(seconds_since(start), 5.0);
}

TEST_F(Retries, HonoursRetryAfterAsAnHttpDate) {
    settings.retries = 1;
    Arrivals arrivals;
    server.server().Get("/later.png", [&](const httplib::Request&, httplib::Response& res) {
        if (arrivals.note() == 0) {
            res.status = 429;
            // Whole seconds: two seconds from now is one to two seconds away for libcurl.
            res.set_header("Retry-After", http_date_in(2));
            return;
        }
        res.set_content(fake_png(1), "image/png");
    });
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(server.url("/later.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    ASSERT_EQ(arrivals.gaps().size(), 1U);
    EXPECT_GE(arrivals.gaps()[0], 0.9) << "the server's date, not the 0.01 s backoff";
    EXPECT_LT(seconds_since(start), 6.0);
}

TEST_F(Retries, RetryAfterIsCappedByTheLongestWait) {
    settings.retries = 1;
    settings.retry_max_wait_s = 0.3;
    Arrivals arrivals;
    serve_flaky(server, "/later.png", 503, 1, arrivals, "30");
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(server.url("/later.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    ASSERT_EQ(arrivals.gaps().size(), 1U);
    EXPECT_GE(arrivals.gaps()[0], 0.3) << "the cap, not the 0.01 s backoff";
    EXPECT_LT(seconds_since(start), 10.0) << "not the server's 30 s";
}

TEST_F(Retries, ARetryAfterSeenEarlierDoesNotCarryOverToALaterDownload) {
    settings.retries = 0;
    Arrivals first;
    Arrivals second;
    serve_flaky(server, "/first.png", 503, 100, first, "30");
    serve_flaky(server, "/second.png", 503, 1, second); // no Retry-After: backoff only
    ASSERT_EQ(fetch(server.url("/first.png")).status, Status::failed);
    settings.retries = 1;
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(server.url("/second.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_LT(seconds_since(start), 10.0) << "waited the first download's Retry-After";
}

// An error page longer than what is read and dropped for keep-alive is cut short: the
// attempt still ends as its HTTP status, so a 503 stays transient.
TEST_F(Retries, A503WithALargeErrorPageIsStillRetried) {
    settings.retries = 1;
    Arrivals arrivals;
    server.server().Get("/busy.png", [&](const httplib::Request&, httplib::Response& res) {
        if (arrivals.note() == 0) {
            res.status = 503;
            res.set_content("<html>" + std::string(200'000, ' ') + "</html>", "text/html");
            return;
        }
        res.set_content(fake_png(1), "image/png");
    });

    const TransferResult result = fetch(server.url("/busy.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_EQ(arrivals.count(), 2U);
}

// The size limit is about the file kept; error bodies are never kept, so a large 503 page
// must not turn a transient failure into a permanent "larger than --max-size".
TEST_F(Retries, A503PageLargerThanTheMaxSizeIsStillRetried) {
    settings.retries = 1;
    settings.max_size = 10'000;
    Arrivals arrivals;
    server.server().Get("/busy.png", [&](const httplib::Request&, httplib::Response& res) {
        if (arrivals.note() == 0) {
            res.status = 503;
            res.set_content(std::string(20'000, 'x'), "text/html");
            return;
        }
        res.set_content(fake_png(1), "image/png");
    });

    const TransferResult result = fetch(server.url("/busy.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
}

} // namespace
} // namespace imgfetch
