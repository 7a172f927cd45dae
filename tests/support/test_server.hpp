#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

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

// What the in-process test servers share (TestServer over httplib::Server, TlsTestServer over
// httplib::SSLServer in tls_fixture.hpp): a real server on a loopback address and a free port,
// listening on its own thread. Register every route with server() first: the server starts on the
// first port()/url() call (or start()), and routes must not change once its threads run. The
// socket is listening when start() returns, so clients may connect at once (the accept loop takes
// them from the backlog). The destructor stops the server and joins its thread. Owned by one test
// thread; only the server's own threads run the routes.
template <typename HttplibServer>
class BasicTestServer {
public:
    BasicTestServer(const BasicTestServer&) = delete;
    BasicTestServer& operator=(const BasicTestServer&) = delete;

    HttplibServer& server() { return m_server; }

    void start() {
        if (m_thread.joinable()) {
            return;
        }
        m_port = m_server.bind_to_any_port(m_address);
        if (m_port <= 0) {
            throw std::runtime_error(m_what + ": cannot bind " + m_address);
        }
        // httplib 0.11 listens with a backlog of 5: a burst of connections from a 32-worker
        // run would overflow it and stall a second on SYN retransmits. Linux applies a second
        // listen()'s backlog to the listening socket.
        ::listen(m_listen_fd, 256);
        m_thread = std::jthread([this] { m_server.listen_after_bind(); });
        if (m_warm_up) {
            // One request before any test traffic: httplib initialises some function-local
            // statics on its first request, and as an uninstrumented library it hides that
            // initialisation's guard from ThreadSanitizer, which would then report concurrent
            // first requests as a race.
            httplib::Client client(m_address, m_port);
            client.Get("/imgfetch-test-server-warm-up");
        }
    }

    int port() {
        start();
        return m_port;
    }
    std::string url(const std::string& path) {
        return m_scheme + "://" + m_address + ":" + std::to_string(port()) + path;
    }

protected:
    // How one kind of server differs: its name for messages, its URL scheme, the number of
    // threads that serve connections, and whether start() sends a warm-up request.
    struct Kind {
        std::string what;   // "TestServer"
        std::string scheme; // "http"
        int threads = 8;
        bool warm_up = false;
    };

    // `server_args` construct the httplib server (an SSLServer's certificate and key files).
    template <typename... ServerArgs>
    BasicTestServer(Kind kind, std::string address, ServerArgs&&... server_args)
        : m_what(std::move(kind.what)), m_scheme(std::move(kind.scheme)),
          m_address(std::move(address)), m_warm_up(kind.warm_up),
          m_server(std::forward<ServerArgs>(server_args)...) {
        m_server.new_task_queue = [threads = kind.threads] {
            return new httplib::ThreadPool(static_cast<std::size_t>(threads));
        };
        m_server.set_keep_alive_max_count(1000);
        // Without it, each keep-alive response waits ~40 ms on Nagle + delayed ACK.
        m_server.set_tcp_nodelay(true);
        m_server.set_socket_options([this](int fd) {
            const int on = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
            m_listen_fd = fd;
        });
    }

    ~BasicTestServer() {
        if (!m_thread.joinable()) {
            return;
        }
        // httplib's stop() is a no-op until the accept loop has started; wait for that
        // (it is already on its way: the thread was started by start()).
        while (!m_server.is_running()) {
            std::this_thread::yield();
        }
        m_server.stop();
        // m_thread joins in its destructor, before m_server is destroyed.
    }

private:
    const std::string m_what;    // for messages
    const std::string m_scheme;  // "http" or "https"
    const std::string m_address; // loopback only
    const bool m_warm_up;
    HttplibServer m_server;
    int m_port = 0;
    int m_listen_fd = -1; // set by the socket-options callback during bind, main thread
    std::jthread m_thread;
};

// A real HTTP server on 127.0.0.1 (or another loopback address, such as 127.0.0.2 for a
// second host name): BasicTestServer over httplib::Server, with enough threads for every
// keep-alive connection of a 32-worker run.
class TestServer : public BasicTestServer<httplib::Server> {
public:
    explicit TestServer(std::string address = "127.0.0.1")
        : BasicTestServer({"TestServer", "http", 64, true}, std::move(address)) {}
};

} // namespace imgfetch::test
