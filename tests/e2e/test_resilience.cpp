// Hostile and unlucky servers against real loopback sockets: retries and their waits (in
// download_with_retries, in a whole run, on the command line), timeouts, size limits, broken
// bodies, and stop requests during a retry wait or a transfer. Replies that cpp-httplib will
// not produce come from the scripted RawServer.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/app.hpp"
#include "imgfetch/cli/options.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/download.hpp"
#include "support/images.hpp"
#include "support/raw_server.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/transfer_settings.hpp"

namespace imgfetch {
namespace {

using nlohmann::json;
using test::fake_png;
using test::http_head;
using test::list_dir;
using test::RawConnection;
using test::RawServer;
using test::read_file;
using test::TempDir;
using test::TestServer;
using SteadyClock = std::chrono::steady_clock;

constexpr std::uint64_t k_mebibyte = std::uint64_t{1} << 20;

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// When each request for a route arrived, as seen by the server. Thread-safe: server threads
// write, the test thread reads.
class Arrivals {
public:
    // Records an arrival; returns how many came before it.
    std::size_t note() {
        const std::lock_guard lock(m_mutex); // guards m_times
        m_times.push_back(SteadyClock::now());
        return m_times.size() - 1;
    }
    std::size_t count() const {
        const std::lock_guard lock(m_mutex);
        return m_times.size();
    }
    // Seconds between consecutive arrivals.
    std::vector<double> gaps() const {
        const std::lock_guard lock(m_mutex);
        std::vector<double> result;
        for (std::size_t i = 1; i < m_times.size(); ++i) {
            result.push_back(std::chrono::duration<double>(m_times[i] - m_times[i - 1]).count());
        }
        return result;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<SteadyClock::time_point> m_times;
};

// Serves `path`: the first `failures` requests get `status` (with Retry-After when
// `retry_after` is not empty), every later one a PNG.
void serve_flaky(TestServer& server, const std::string& path, int status, std::size_t failures,
                 Arrivals& arrivals, const std::string& retry_after = "") {
    server.server().Get(path, [=, &arrivals](const httplib::Request&, httplib::Response& res) {
        if (arrivals.note() < failures) {
            res.status = status;
            if (!retry_after.empty()) {
                res.set_header("Retry-After", retry_after);
            }
            res.set_content("try again later", "text/plain");
            return;
        }
        res.set_content(fake_png(1), "image/png");
    });
}

// An HTTP-date `seconds` from now ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string http_date_in(int seconds) {
    const std::time_t when = std::time(nullptr) + seconds;
    std::tm utc{};
    ::gmtime_r(&when, &utc);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return text;
}

// A port on 127.0.0.1 that refuses connections: bound (so nobody else gets it) but never
// listening, so a connect() is answered with a RST.
class RefusingPort {
public:
    RefusingPort() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("RefusingPort: cannot bind 127.0.0.1");
        }
        m_port = ntohs(address.sin_port);
    }
    ~RefusingPort() { ::close(m_fd); }
    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + path;
    }

private:
    int m_fd = -1;
    int m_port = 0;
};

// Chunked-encodes `body` in chunks of `chunk_size`, with the terminating chunk.
std::string chunked(const std::string& body, std::size_t chunk_size) {
    std::string out;
    for (std::size_t offset = 0; offset < body.size(); offset += chunk_size) {
        const std::string chunk = body.substr(offset, chunk_size);
        char size_line[32];
        std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
        out += size_line + chunk + "\r\n";
    }
    return out + "0\r\n\r\n";
}

// A gzip stream that inflates to a PNG signature followed by `zeros` zero bytes: about a
// thousand times smaller than what it inflates to.
std::string gzip_bomb(std::size_t zeros) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    std::string out;
    std::string input = fake_png(0, 0);
    const std::string block(k_mebibyte, '\0');
    char buffer[64 * 1024];
    for (std::size_t left = zeros;;) {
        const std::size_t take = std::min(left, block.size());
        input += block.substr(0, take);
        left -= take;
        stream.next_in = reinterpret_cast<Bytef*>(input.data());
        stream.avail_in = static_cast<uInt>(input.size());
        const int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
        int rc = Z_OK;
        do {
            stream.next_out = reinterpret_cast<Bytef*>(buffer);
            stream.avail_out = sizeof buffer;
            rc = deflate(&stream, flush);
            out.append(buffer, sizeof buffer - stream.avail_out);
        } while (stream.avail_out == 0);
        input.clear();
        if (rc == Z_STREAM_END) {
            break;
        }
    }
    deflateEnd(&stream);
    return out;
}

// Calls `on_match` (on the logging thread) for every log message containing `needle`.
class LogWatch : public spdlog::sinks::base_sink<std::mutex> {
public:
    LogWatch(std::string needle, std::function<void()> on_match)
        : m_needle(std::move(needle)), m_on_match(std::move(on_match)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        if (std::string_view(message.payload.data(), message.payload.size()).find(m_needle) !=
            std::string_view::npos) {
            m_on_match();
        }
    }
    void flush_() override {}

private:
    std::string m_needle;
    std::function<void()> m_on_match;
};

// Attaches a LogWatch to the default logger for its lifetime. The logger's sink list is not
// thread-safe: construct and destroy it only while no other thread logs.
class ScopedLogWatch {
public:
    ScopedLogWatch(std::string needle, std::function<void()> on_match)
        : m_watch(std::make_shared<LogWatch>(std::move(needle), std::move(on_match))) {
        spdlog::default_logger()->sinks().push_back(m_watch);
    }
    ~ScopedLogWatch() {
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), m_watch), sinks.end());
    }
    ScopedLogWatch(const ScopedLogWatch&) = delete;
    ScopedLogWatch& operator=(const ScopedLogWatch&) = delete;

private:
    std::shared_ptr<LogWatch> m_watch;
};

// A one-shot event between threads: set() once, wait() until set or until the waiting
// thread's own stop is requested.
class Event {
public:
    void set() {
        {
            const std::lock_guard lock(m_mutex); // guards m_set and m_when
            m_set = true;
            m_when = SteadyClock::now();
        }
        m_changed.notify_all(); // outside the lock: the waiter can take it at once
    }
    bool wait(std::stop_token stop) {
        std::unique_lock lock(m_mutex);
        return m_changed.wait(lock, stop, [this] { return m_set; });
    }
    bool is_set() const {
        const std::lock_guard lock(m_mutex);
        return m_set;
    }
    SteadyClock::time_point when() const {
        const std::lock_guard lock(m_mutex);
        return m_when;
    }

private:
    mutable std::mutex m_mutex;
    std::condition_variable_any m_changed;
    bool m_set = false;
    SteadyClock::time_point m_when;
};

// Requests `source`'s stop from its own thread once `trigger` is set; records when in
// `stopped`. Its destructor ends it even if the trigger never came.
class StopWhen {
public:
    StopWhen(Event& trigger, std::stop_source source, Event& stopped)
        : m_thread([&trigger, source, &stopped](std::stop_token own) mutable {
              if (trigger.wait(own)) {
                  stopped.set();
                  source.request_stop();
              }
          }) {}

private:
    std::jthread m_thread;
};

// download_with_retries against loopback servers, with a small first backoff delay. The
// server is the first member so it outlives the session's keep-alive connections (otherwise
// its shutdown waits for them to time out).
class Resilience : public ::testing::Test {
protected:
    Resilience() { settings.retry_delay_s = 0.01; }

    TransferResult fetch(const std::string& url, std::stop_token stop = {}) {
        const Task task{0, 1, url, "x.png", false};
        const DownloadContext ctx{settings, dir, clock, std::move(stop), nullptr};
        return download_with_retries(session, task, ctx, 2);
    }

    std::vector<std::string> files() const { return list_dir(temp / "out"); }

    TestServer server;
    TempDir temp;
    OutputDir dir{(temp / "out").string()};
    TransferOptions settings = test::plain_transfer();
    RunClock clock;
    CurlSession session;
};

// The whole pipeline (imgfetch::run) with a JSON report.
class ResilienceRun : public ::testing::Test {
protected:
    ResilienceRun() {
        options.outputs.output_dir = (temp / "out").string();
        options.outputs.report_file = (temp / "report.json").string();
        options.transfer.retry_delay_s = 0.01;
    }

    void serve_images() {
        server.server().Get(R"(/img/(\d+)\.png)",
                            [](const httplib::Request& req, httplib::Response& res) {
                                res.set_content(fake_png(std::stoul(req.matches[1])), "image/png");
                            });
    }

    std::string write_list(const std::vector<std::string>& urls) {
        std::string text;
        for (const std::string& url : urls) {
            text += url + "\n";
        }
        const auto path = temp / "urls.txt";
        test::write_file(path, text);
        return path.string();
    }

    json report() const { return json::parse(read_file(temp / "report.json")); }

    TestServer server;
    TempDir temp;
    Options options;
};

class Retries : public Resilience {};
class RetriesInARun : public ResilienceRun {};
class Timeouts : public Resilience {};
class TimeoutsInARun : public ResilienceRun {};
class Limits : public Resilience {};
class BrokenBodies : public Resilience {};
class Interrupts : public Resilience {};
class ResilienceCli : public ResilienceRun {};

// ---- Retries ------------------------------------------------------------------------------

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

// ---- Retries in a whole run ---------------------------------------------------------------

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

// ---- Retries on the command line ----------------------------------------------------------

TEST(RetryOptions, DefaultToThreeRetriesOneSecondAndAOneMinuteCap) {
    const char* argv[] = {"imgfetch", "urls.txt"};
    const auto parsed = parse_command_line(2, argv, true);

    ASSERT_TRUE(parsed.options);
    EXPECT_EQ(parsed.options->transfer.retries, 3U);
    EXPECT_EQ(parsed.options->transfer.retry_delay_s, 1.0);
    EXPECT_EQ(parsed.options->transfer.retry_max_wait_s, 60.0);
}

TEST(RetryOptions, AreParsedFromTheCommandLine) {
    const char* argv[] = {"imgfetch", "urls.txt",         "--retries", "5",         "--retry-delay",
                          "0.25",     "--retry-max-wait", "7.5",       "--timeout", "12"};
    const auto parsed = parse_command_line(10, argv, true);

    ASSERT_TRUE(parsed.options);
    EXPECT_EQ(parsed.options->transfer.retries, 5U);
    EXPECT_EQ(parsed.options->transfer.retry_delay_s, 0.25);
    EXPECT_EQ(parsed.options->transfer.retry_max_wait_s, 7.5);
    EXPECT_EQ(parsed.options->transfer.timeout_s, 12.0);
}

TEST(RetryOptions, NegativeOrMalformedValuesAreUsageErrors) {
    for (const char* bad : {"-1", "many"}) {
        for (const char* option : {"--retries", "--retry-delay", "--retry-max-wait"}) {
            const char* argv[] = {"imgfetch", "urls.txt", option, bad};
            EXPECT_EQ(parse_command_line(4, argv, true).exit_code, 2) << option << " " << bad;
        }
    }
}

TEST_F(ResilienceCli, TheRetriesOptionSetsTheNumberOfExtraAttempts) {
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 100, arrivals);
    const auto result = test::run_imgfetch(
        {write_list({server.url("/busy.png")}), "-o", options.outputs.output_dir, "--report",
         options.outputs.report_file, "--retries", "1", "--retry-delay", "0.01"},
        temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(report()["files"][0]["attempts"], 2);
    EXPECT_EQ(arrivals.count(), 2U);
    EXPECT_TRUE(contains(result.err, "HTTP 503")) << result.err;
}

TEST_F(ResilienceCli, RetriesThreeTimesByDefault) {
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 100, arrivals);
    const auto result =
        test::run_imgfetch({write_list({server.url("/busy.png")}), "-o", options.outputs.output_dir,
                            "--report", options.outputs.report_file, "--retry-delay", "0.01"},
                           temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(report()["files"][0]["attempts"], 4);
    EXPECT_EQ(arrivals.count(), 4U);
}

TEST_F(ResilienceCli, TheRetryDelaySetsTheFirstBackoff) {
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 1, arrivals);
    const auto result =
        test::run_imgfetch({write_list({server.url("/busy.png")}), "-o", options.outputs.output_dir,
                            "--retries", "1", "--retry-delay", "0.5"},
                           temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    ASSERT_EQ(arrivals.gaps().size(), 1U);
    EXPECT_GE(arrivals.gaps()[0], 0.25) << "at least half the delay, jitter included";
}

TEST_F(ResilienceCli, TheRetryMaxWaitCapsTheServersRetryAfter) {
    Arrivals arrivals;
    serve_flaky(server, "/later.png", 503, 1, arrivals, "30");
    const auto start = SteadyClock::now();

    const auto result = test::run_imgfetch({write_list({server.url("/later.png")}), "-o",
                                            options.outputs.output_dir, "--retries", "1",
                                            "--retry-max-wait", "0.2"},
                                           temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(arrivals.count(), 2U);
    EXPECT_LT(seconds_since(start), 10.0) << "not the server's 30 s";
}

// ---- Timeouts -----------------------------------------------------------------------------

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

// ---- Size limits --------------------------------------------------------------------------

TEST_F(Limits, AChunkedBodyWithoutALengthFailsOnceItGrowsPastTheLimit) {
    settings.max_size = k_mebibyte;
    server.server().Get("/big.png", [](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("image/png",
                                         [](std::size_t offset, httplib::DataSink& sink) {
                                             if (offset >= 4 * k_mebibyte) {
                                                 sink.done();
                                                 return true;
                                             }
                                             const std::string chunk = fake_png(5, 64 * 1024);
                                             return sink.write(chunk.data(), chunk.size());
                                         });
    });

    const TransferResult result = fetch(server.url("/big.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "larger than --max-size (1048576 bytes)");
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(result.bytes, 0U);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(Limits, AnOversizedBodyIsNotRetried) {
    settings.max_size = 1000;
    settings.retries = 3;
    Arrivals arrivals;
    server.server().Get("/big.png", [&](const httplib::Request&, httplib::Response& res) {
        arrivals.note();
        res.set_content(fake_png(6, 5000), "image/png");
    });

    const TransferResult result = fetch(server.url("/big.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "larger than --max-size")) << result.error;
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(arrivals.count(), 1U);
}

TEST_F(Limits, AGzipBombIsCutOffAtTheLimitAndLeavesNothingBehind) {
    settings.max_size = k_mebibyte;
    const std::string bomb = gzip_bomb(50 * k_mebibyte);
    ASSERT_LT(bomb.size(), 100'000U) << "about 50 KB on the wire";
    RawServer raw([&bomb](RawConnection& connection) {
        connection.read_request();
        // libcurl 7.88 decodes a gzip transfer-encoding even when it was not asked for one.
        connection.send(http_head("Transfer-Encoding: gzip, chunked\r\n") +
                        chunked(bomb, 16 * 1024));
        connection.hold();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "larger than --max-size (1048576 bytes)");
    EXPECT_EQ(result.bytes, 0U);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(Limits, AnAnnouncedLengthOverTheLimitFailsBeforeAnyBodyArrives) {
    settings.max_size = k_mebibyte;
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        // Ten gibibytes announced, then nothing: only the announcement can end this quickly
        // (the stall timeout is 30 s).
        connection.send(http_head("Content-Length: 10737418240\r\n"));
        connection.hold();
    });
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "larger than --max-size (1048576 bytes; announced 10737418240)");
    EXPECT_LT(seconds_since(start), 5.0);
    EXPECT_TRUE(files().empty());
}

TEST_F(Limits, ABodyOfExactlyTheLimitIsKept) {
    const std::string body = fake_png(7, 4096 - 8);
    settings.max_size = body.size();
    server.server().Get("/exact.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "image/png");
    });

    const TransferResult result = fetch(server.url("/exact.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "x.png"), body);
}

TEST_F(ResilienceCli, MaxSizeAcceptsAUnitSuffix) {
    const auto chunked_png = [](std::size_t size) {
        return [size](const httplib::Request&, httplib::Response& res) {
            res.set_chunked_content_provider("image/png",
                                             [size](std::size_t offset, httplib::DataSink& sink) {
                                                 if (offset > 0) {
                                                     sink.done();
                                                     return true;
                                                 }
                                                 const std::string body = fake_png(8, size - 8);
                                                 return sink.write(body.data(), body.size());
                                             });
        };
    };
    server.server().Get("/big.png", chunked_png(20'000));
    server.server().Get("/small.png", chunked_png(5'000));

    const auto result =
        test::run_imgfetch({write_list({server.url("/big.png"), server.url("/small.png")}), "-o",
                            options.outputs.output_dir, "--max-size", "10k"},
                           temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_TRUE(contains(result.err, "larger than --max-size (10240 bytes)")) << result.err;
    EXPECT_EQ(list_dir(options.outputs.output_dir), std::vector<std::string>{"small.png"});
}

TEST_F(ResilienceCli, AMalformedMaxSizeIsAUsageError) {
    for (const char* bad : {"10x", "k", "-5", "99999999999999999999"}) {
        const auto result =
            test::run_imgfetch({"--max-size", bad, "-o", options.outputs.output_dir}, temp.path());
        EXPECT_EQ(result.exit_code, 2) << bad;
    }
}

// ---- Broken bodies ------------------------------------------------------------------------

// Each sends 20,000 body bytes (past the image check, so a temporary exists) before breaking.
const std::string k_partial_body = fake_png(9, 20'000 - 8);

TEST_F(BrokenBodies, ABodyShorterThanItsContentLengthFails) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        connection.send(http_head("Content-Length: 100000\r\n") + k_partial_body);
        connection.close();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "transfer closed")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(result.bytes, 0U);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(BrokenBodies, AConnectionResetMidBodyFails) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        connection.send(http_head("Content-Length: 100000\r\n") + k_partial_body);
        connection.wait_until_received(); // a reset throws away what was not yet delivered
        connection.reset();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "Recv failure")) << result.error;
    EXPECT_TRUE(contains(result.error, "reset")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(BrokenBodies, ABrokenChunkedEncodingFails) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        std::string reply = http_head("Transfer-Encoding: chunked\r\n");
        reply += chunked(k_partial_body, 4096);
        reply.resize(reply.size() - 5);  // drop the terminating "0\r\n\r\n"
        reply += "zz-not-hex\r\nxx\r\n"; // and say something that is no chunk size
        connection.send(reply);
        connection.hold();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "chunk")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(BrokenBodies, AChunkedBodyCutBeforeItsLastChunkFails) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        std::string reply = http_head("Transfer-Encoding: chunked\r\n");
        reply += chunked(k_partial_body, 4096);
        reply.resize(reply.size() - 5); // no terminating chunk: the server just hangs up
        connection.send(reply);
        connection.close();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "transfer closed")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(BrokenBodies, ABrokenBodyIsTransientAndRetried) {
    settings.retries = 2;
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        if (connection.index() == 0) {
            connection.send(http_head("Content-Length: 100000\r\n") + k_partial_body);
            connection.close();
            return;
        }
        connection.send(
            http_head("Content-Length: " + std::to_string(k_partial_body.size()) + "\r\n") +
            k_partial_body);
        connection.hold();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"x.png"});
    EXPECT_EQ(read_file(temp / "out" / "x.png"), k_partial_body);
}

// ---- Interrupts ---------------------------------------------------------------------------

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
