#pragma once

// What the resilience tests share (tests/unit/transfer/test_{retries,timeouts,size_limits,
// broken_bodies,interrupts}.cpp, tests/unit/run/test_run_resilience.cpp and
// tests/e2e/test_resilience.cpp): servers that fail on purpose, timing and logging probes, and
// the two fixtures, Resilience (download_with_retries in-process) and ResilienceRun (a whole
// run with a JSON report). Replies that cpp-httplib will not produce come from RawServer.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/transfer/download.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"
#include "support/timing.hpp"

namespace imgfetch::test {

inline constexpr std::uint64_t k_mebibyte = std::uint64_t{1} << 20;

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
inline void serve_flaky(TestServer& server, const std::string& path, int status,
                        std::size_t failures, Arrivals& arrivals,
                        const std::string& retry_after = "") {
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
inline std::string http_date_in(int seconds) {
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
inline std::string chunked(const std::string& body, std::size_t chunk_size) {
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
inline std::string gzip_bomb(std::size_t zeros) {
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
// server is in a base before DownloadFixture so it outlives the session's keep-alive
// connections (otherwise its shutdown waits for them to time out).
class Resilience : public ::testing::Test,
                   protected test::WithTestServer,
                   protected test::DownloadFixture {
protected:
    Resilience() { settings.retry_delay_s = 0.01; }

    TransferResult fetch(const std::string& url, std::stop_token stop = {}) {
        return download_retrying(Task{0, 1, url, "x.png", false}, 2, std::move(stop));
    }

    std::vector<std::string> files() const { return list_dir(temp / "out"); }
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

    nlohmann::json report() const { return nlohmann::json::parse(read_file(temp / "report.json")); }

    TestServer server;
    TempDir temp;
    Options options;
};

} // namespace imgfetch::test
