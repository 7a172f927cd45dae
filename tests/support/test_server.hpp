#pragma once

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

namespace imgfetch::test {

// Counts requests in flight and remembers the peak. Thread-safe (atomics only).
class ConcurrencyGauge {
public:
    class Scope {
    public:
        explicit Scope(ConcurrencyGauge& gauge) : m_gauge(gauge) {
            const int now = ++m_gauge.m_in_flight;
            int peak = m_gauge.m_peak.load();
            while (now > peak && !m_gauge.m_peak.compare_exchange_weak(peak, now)) {
            }
        }
        ~Scope() { --m_gauge.m_in_flight; }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        ConcurrencyGauge& m_gauge;
    };

    int peak() const { return m_peak.load(); }

private:
    std::atomic<int> m_in_flight{0};
    std::atomic<int> m_peak{0};
};

// A real HTTP server on 127.0.0.1 and a free port, listening on its own thread from
// construction to destruction. Register routes with server() before requests arrive.
// The socket is bound and listening once the constructor returns, so clients may connect
// at once (the accept loop picks their connections up from the backlog).
class TestServer {
public:
    TestServer() {
        // Enough threads for every keep-alive connection of a 32-worker run.
        m_server.new_task_queue = [] { return new httplib::ThreadPool(64); };
        m_server.set_keep_alive_max_count(1000);
        m_port = m_server.bind_to_any_port("127.0.0.1");
        if (m_port <= 0) {
            throw std::runtime_error("TestServer: cannot bind 127.0.0.1");
        }
        m_thread = std::jthread([this] { m_server.listen_after_bind(); });
    }
    ~TestServer() {
        // httplib's stop() is a no-op until the accept loop has started; wait for that
        // (it is already on its way: the thread was started in the constructor).
        while (!m_server.is_running()) {
            std::this_thread::yield();
        }
        m_server.stop();
        // m_thread joins in its destructor, before m_server is destroyed.
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    httplib::Server& server() { return m_server; }
    int port() const { return m_port; }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + path;
    }

private:
    httplib::Server m_server;
    int m_port = 0;
    std::jthread m_thread;
};

} // namespace imgfetch::test
