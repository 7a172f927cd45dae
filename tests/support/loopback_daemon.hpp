#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

// What the fixtures for real Debian daemons (nginx, apache2, squid, tinyproxy) share: finding
// the executable, free loopback ports, and LoopbackDaemon, which runs one in the foreground as
// our child until the test ends.

namespace imgfetch::test {

namespace detail {

// A socket descriptor closed at scope end.
class Socket {
public:
    Socket() : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        if (m_fd < 0) {
            throw std::system_error(errno, std::generic_category(), "socket");
        }
    }
    ~Socket() { ::close(m_fd); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    int fd() const { return m_fd; }

private:
    int m_fd;
};

inline sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

inline bool is_executable_file(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

} // namespace detail

// `count` distinct ports on 127.0.0.1 that were free a moment ago (the kernel picked them; the
// sockets are held at once so they differ). Another process may take one before the daemon
// binds it: LoopbackDaemon starts again on new ports when that happens.
inline std::vector<int> free_loopback_ports(std::size_t count) {
    std::vector<detail::Socket> sockets(count);
    std::vector<int> ports;
    for (const detail::Socket& socket : sockets) {
        sockaddr_in address = detail::loopback(0);
        socklen_t length = sizeof address;
        if (::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
        }
        ports.push_back(ntohs(address.sin_port));
    }
    return ports;
}

// Whether something accepts TCP connections on 127.0.0.1:port. The connection is closed again
// at once, before any byte is sent; some daemons log it all the same (squid as
// "error:transaction-end-before-headers"), which their fixtures leave out of what they report.
inline bool accepts_connections(int port) {
    const detail::Socket socket;
    const sockaddr_in address = detail::loopback(port);
    return ::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

// The daemon executable to use: $ENV_VAR when set (nothing when that is not executable), else
// NAME on $PATH (find_on_path), else /usr/sbin/NAME (often not on a non-root user's $PATH). Nothing
// when none is executable.
inline std::optional<std::string> find_daemon(const char* env_var, const std::string& name) {
    if (const char* chosen = std::getenv(env_var); chosen != nullptr) {
        if (detail::is_executable_file(chosen)) {
            return std::string(chosen);
        }
        return std::nullopt;
    }
    if (auto on_path = find_on_path(name)) {
        return on_path;
    }
    if (const auto sbin = std::filesystem::path("/usr/sbin") / name;
        detail::is_executable_file(sbin)) {
        return sbin.string();
    }
    return std::nullopt;
}

// Whether the environment variable `name` is "1" (IMGFETCH_SKIP_SQUID_TESTS=1, say).
inline bool env_flag_set(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && std::string(value) == "1";
}

// The message for a test whose daemon is not installed.
inline std::string missing_daemon_message(const std::string& name, const char* env_var,
                                          const char* skip_var, const std::string& what) {
    return "no " + name + " found (looked at $" + env_var + ", $PATH and /usr/sbin/" + name +
           "): run scripts/install-deps.sh --test, or set " + skip_var + "=1 to skip " + what;
}

// One kind of daemon that a parameterised test runs against (nginx or apache2, squid or
// tinyproxy): its name (the test name's suffix, and the executable looked for), the variables
// that choose another binary or skip its tests, and how to start it. `Started` is the fixture the
// test gets (WebServer, ForwardProxy); `Args` are what start() takes besides the executable. A
// test's SetUp skips when skipped(), fails with missing() when executable() finds nothing, and
// else calls start().
template <typename Started, typename... Args>
struct DaemonUnderTest {
    std::string name;           // "squid"
    const char* executable_var; // "IMGFETCH_SQUID": picks another binary
    const char* skip_var;       // "IMGFETCH_SKIP_SQUID_TESTS": "1" skips its tests
    std::unique_ptr<Started> (*start)(const std::string& executable, const Args&... args);

    bool skipped() const { return env_flag_set(skip_var); }
    std::optional<std::string> executable() const { return find_daemon(executable_var, name); }
    // The failure message when executable() found nothing, for tests described by `what`.
    std::string missing(const std::string& what) const {
        return missing_daemon_message(name, executable_var, skip_var, what);
    }
};

// Test failures name the daemon, not its bytes.
template <typename Started, typename... Args>
void PrintTo(const DaemonUnderTest<Started, Args...>& kind, std::ostream* out) {
    *out << kind.name;
}

// What a daemon fixture tells LoopbackDaemon about its daemon.
struct DaemonLaunch {
    std::string name;           // "squid", for messages
    std::size_t port_count = 1; // free loopback ports it listens on
    // Writes the daemon's configuration for `ports` (and clears what an earlier attempt left,
    // such as its pid file and logs), and returns its command line: the daemon in the
    // foreground, as our child.
    std::function<std::vector<std::string>(const std::vector<int>& ports)> configure;
    // Whether the daemon, our child `pid`, has bound its ports itself: its pid file, written
    // after it binds, holds `pid`, or its log says it listens on them. A port that accepts
    // connections might be another process's, which took it first.
    std::function<bool(pid_t pid)> has_bound;
    // What the daemon writes when a port is already taken: worth another try on new ports.
    std::string port_taken = "Address already in use";
    // The daemon's own logs, for failure messages (its stdout and stderr are added to them).
    std::function<std::string()> logs;
    std::filesystem::path scratch; // where its stdout and stderr go
};

// A real daemon on loopback ports, run in the foreground as our child in its own process group
// until the fixture ends. The constructor tries free ports until the daemon has bound them
// (DaemonLaunch::has_bound) and accepts connections on every one, within a deadline; it throws
// std::runtime_error, with the daemon's logs, when the daemon ends first (other than for a port
// taken in the meantime, which gets new ports up to five times) or does not serve in time.
// The destructor stops it: SIGTERM and a grace period, then SIGKILL for its whole process
// group, so nothing it started outlives the test. Owned and used by one test thread; the ports
// are fixed for its lifetime.
class LoopbackDaemon {
public:
    explicit LoopbackDaemon(DaemonLaunch launch) : m_launch(std::move(launch)) {
        constexpr int k_attempts = 5;
        for (int attempt = 1;; ++attempt) {
            m_ports = free_loopback_ports(m_launch.port_count);
            if (start()) {
                return;
            }
            const std::string why = logs();
            if (attempt == k_attempts || why.find(m_launch.port_taken) == std::string::npos) {
                std::ostringstream message;
                message << m_launch.name << " (" << m_command << ") ended at its start with "
                        << m_start_status << ":\n"
                        << why;
                throw std::runtime_error(message.str());
            }
        }
    }

    ~LoopbackDaemon() { stop(); }
    LoopbackDaemon(const LoopbackDaemon&) = delete;
    LoopbackDaemon& operator=(const LoopbackDaemon&) = delete;

    const std::vector<int>& ports() const { return m_ports; }

    // Stops the daemon now (as the destructor would); a second call does nothing.
    void stop() {
        if (m_child) {
            m_child->stop(k_stop_grace);
            m_child.reset();
        }
    }

    // The daemon's logs, stdout and stderr, for failure messages.
    std::string logs() const {
        std::string text = m_launch.logs ? m_launch.logs() : std::string();
        return text + "--- " + m_launch.name + " stdout\n" + read_file(stdout_path()) + "--- " +
               m_launch.name + " stderr\n" + read_file(stderr_path());
    }

private:
    static constexpr std::chrono::seconds k_start_deadline{20};
    static constexpr std::chrono::seconds k_stop_grace{10};

    std::filesystem::path stdout_path() const {
        return m_launch.scratch / (m_launch.name + ".stdout");
    }
    std::filesystem::path stderr_path() const {
        return m_launch.scratch / (m_launch.name + ".stderr");
    }

    // Starts the daemon and waits until it serves. Returns false (the daemon reaped) when it
    // ended instead; throws when it neither ends nor serves within the deadline.
    bool start() {
        const std::vector<std::string> argv = m_launch.configure(m_ports);
        m_command = argv.at(0);
        ChildProcess::Setup setup;
        setup.own_process_group = true;
        m_child.emplace(argv, ChildProcess::Io{"/dev/null", stdout_path(), stderr_path()}, setup);
        bool ended = false;
        const bool ready = eventually(
            [&] {
                ended = m_child->has_exited();
                return ended || serving();
            },
            k_start_deadline);
        if (ended) {
            m_start_status = *m_child->wait_for_exit(0ms);
            m_child.reset();
            return false;
        }
        if (!ready) {
            const std::string why = logs();
            stop();
            throw std::runtime_error(m_launch.name +
                                     " did not accept connections within the deadline:\n" + why);
        }
        return true;
    }

    bool serving() const {
        if (!m_launch.has_bound(m_child->pid())) {
            return false;
        }
        for (const int port : m_ports) {
            if (!accepts_connections(port)) {
                return false;
            }
        }
        return true;
    }

    DaemonLaunch m_launch;
    std::vector<int> m_ports;
    std::string m_command;               // the executable of the last start
    ExitStatus m_start_status;           // how the last start ended, when it did
    std::optional<ChildProcess> m_child; // the running daemon; empty once stopped
};

// The complete lines of a log that a daemon may still be writing: a last line without its line
// end (one being written) is left out, to be read whole next time.
inline std::vector<std::string> complete_lines(const std::string& log) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end = log.find('\n'); end != std::string::npos; end = log.find('\n', start)) {
        lines.push_back(log.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// Whether the pid file at `path` holds `pid` (as "PID\n", the way nginx and apache2 write it).
inline bool pid_file_holds(const std::filesystem::path& path, pid_t pid) {
    return read_file(path) == std::to_string(pid) + "\n";
}

} // namespace imgfetch::test
