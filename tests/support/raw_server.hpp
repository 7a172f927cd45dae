#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace imgfetch::test {

// One accepted connection of a RawServer, handed to its script on the connection's own
// thread. Every call that could block also watches the server's wake pipe, so a script never
// outlives the server: once the server stops, every call returns false at once.
class RawConnection {
public:
    RawConnection(int fd, int wake_fd, int index) : m_fd(fd), m_wake_fd(wake_fd), m_index(index) {}
    ~RawConnection() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // 0 for the server's first connection, 1 for the second, ...
    int index() const { return m_index; }

    // Reads up to the blank line that ends the request head (requests carry no body here).
    // Returns the head, or nothing useful when the peer left or the server is stopping.
    std::string read_request() {
        std::string head;
        char buffer[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
            if (!wait_for(POLLIN)) {
                return head;
            }
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (n <= 0) {
                return head;
            }
            head.append(buffer, static_cast<std::size_t>(n));
        }
        return head;
    }

    // Sends every byte; false when the peer went away or the server is stopping.
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            if (!wait_for(POLLOUT)) {
                return false;
            }
            const ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (n <= 0) {
                return false;
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // The server being slow on purpose (a trickle): waits `duration`, or less when the server
    // stops (then returns false).
    bool pause(std::chrono::milliseconds duration) {
        pollfd wake{m_wake_fd, POLLIN, 0};
        return ::poll(&wake, 1, static_cast<int>(duration.count())) == 0;
    }

    // Waits until the peer's kernel has acknowledged every byte sent (it is in the peer's
    // receive buffer), e.g. before a reset, which would discard bytes still queued here. The
    // kernel offers no event for this, so it checks every millisecond; false when the server
    // stops first.
    bool wait_until_received() {
        int unacknowledged = 0;
        while (::ioctl(m_fd, TIOCOUTQ, &unacknowledged) == 0 && unacknowledged > 0) {
            if (!pause(std::chrono::milliseconds(1))) {
                return false;
            }
        }
        return true;
    }

    // Says nothing more and keeps the connection open until the peer closes it or the server
    // stops: a server that accepted and never answers (after what was sent so far).
    void hold() {
        char buffer[4096];
        while (wait_for(POLLIN)) {
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                return;
            }
        }
    }

    // An orderly close (FIN): the peer sees the end of the stream.
    void close() {
        ::shutdown(m_fd, SHUT_WR);
        ::close(m_fd);
        m_fd = -1;
    }

    // An abortive close: SO_LINGER 0 makes close() send a RST ("connection reset by peer").
    void reset() {
        const linger abortive{1, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
        ::close(m_fd);
        m_fd = -1;
    }

private:
    // Waits until m_fd is ready for `events`; false when the server is stopping (or on error).
    bool wait_for(short events) {
        if (m_fd < 0) {
            return false;
        }
        pollfd fds[2] = {{m_fd, events, 0}, {m_wake_fd, POLLIN, 0}};
        for (;;) {
            const int ready = ::poll(fds, 2, -1);
            if (ready < 0 && errno == EINTR) {
                continue;
            }
            if (ready <= 0 || (fds[1].revents & POLLIN) != 0) {
                return false;
            }
            return true; // readable, writable, or hung up: the next recv/send tells which
        }
    }

    int m_fd;
    int m_wake_fd;
    int m_index;
};

// A scripted raw-TCP server on 127.0.0.1 and a free port, for replies an HTTP library will not
// produce: bodies cut short, resets, broken chunked encodings, stalls, trickles. The socket is
// listening when the constructor returns. Every accepted connection runs `script` on a thread
// of its own, so a script may hold its connection as long as it likes. The destructor wakes
// every thread through a pipe (each blocking call polls it), then joins them all: no thread
// outlives the server. The script runs on server threads: anything it shares with the test
// needs a mutex or an atomic.
class RawServer {
public:
    using Script = std::function<void(RawConnection&)>;

    explicit RawServer(Script script) : m_script(std::move(script)) {
        int pipe_fds[2];
        if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
            throw std::runtime_error("RawServer: pipe failed");
        }
        m_wake_read = pipe_fds[0];
        m_wake_write = pipe_fds[1];
        m_listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        socklen_t length = sizeof address;
        if (m_listen_fd < 0 ||
            ::bind(m_listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(m_listen_fd, 64) != 0 ||
            ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            close_fds();
            throw std::runtime_error("RawServer: cannot listen on 127.0.0.1");
        }
        m_port = ntohs(address.sin_port);
        m_acceptor = std::jthread([this] { accept_loop(); });
    }

    ~RawServer() {
        // The pipe is never read, so it stays readable: every poll in every thread returns.
        const char byte = 'x';
        (void)!::write(m_wake_write, &byte, 1);
        m_acceptor.join();     // after this no connection thread is added
        m_connections.clear(); // joins each connection's thread
        close_fds();
    }
    RawServer(const RawServer&) = delete;
    RawServer& operator=(const RawServer&) = delete;

    int port() const { return m_port; }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + path;
    }
    // Connections accepted so far. Thread-safe.
    int accepted() const { return m_accepted.load(); }

private:
    void accept_loop() {
        pollfd fds[2] = {{m_listen_fd, POLLIN, 0}, {m_wake_read, POLLIN, 0}};
        for (;;) {
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return;
            }
            if ((fds[1].revents & POLLIN) != 0) {
                return;
            }
            const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) {
                continue;
            }
            const int index = m_accepted++;
            // Only this thread touches m_connections until the destructor has joined it.
            m_connections.emplace_back([this, fd, index] {
                RawConnection connection(fd, m_wake_read, index);
                m_script(connection);
            });
        }
    }

    void close_fds() {
        for (int* fd : {&m_listen_fd, &m_wake_read, &m_wake_write}) {
            if (*fd >= 0) {
                ::close(*fd);
                *fd = -1;
            }
        }
    }

    Script m_script;
    int m_listen_fd = -1;
    int m_wake_read = -1;
    int m_wake_write = -1;
    int m_port = 0;
    std::atomic<int> m_accepted{0};
    std::vector<std::jthread> m_connections; // accept thread only, then the destructor
    std::jthread m_acceptor;                 // started by the constructor, joined first
};

// The head of an HTTP/1.1 200 response; `extra` is more header lines, each ending in CRLF.
inline std::string http_head(const std::string& extra) {
    return "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n" + extra + "\r\n";
}

} // namespace imgfetch::test
