#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "support/loopback_daemon.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch::test {

// One request as a forward proxy logged it.
struct ProxyRequest {
    std::string method; // "GET", "CONNECT"
    std::string target; // "http://127.0.0.1:PORT/a.png"; for CONNECT "127.0.0.1:PORT"

    friend bool operator==(const ProxyRequest&, const ProxyRequest&) = default;
};

inline std::ostream& operator<<(std::ostream& out, const ProxyRequest& request) {
    return out << request.method << " " << request.target;
}

// How to run one kind of forward proxy (squid_proxy.hpp, tinyproxy_proxy.hpp).
struct ForwardProxyKind {
    std::string name; // "squid": for messages
    // Writes the configuration into `prefix` for `port` (and clears what an earlier attempt
    // left) and returns the command line: the proxy in the foreground.
    std::function<std::vector<std::string>(const std::filesystem::path& prefix, int port)>
        configure;
    // As DaemonLaunch::has_bound, for a proxy whose files are in `prefix`.
    std::function<bool(const std::filesystem::path& prefix, int port, pid_t pid)> has_bound;
    std::string port_taken = "Address already in use"; // as DaemonLaunch::port_taken
    // The requests logged so far in `prefix`, in the order the proxy logged them; connections
    // that sent no request (LoopbackDaemon's readiness probes) left out.
    std::function<std::vector<ProxyRequest>(const std::filesystem::path& prefix)> requests;
    // The proxy's own log files in `prefix`, for failure messages.
    std::function<std::string(const std::filesystem::path& prefix)> logs;
};

// A real forward proxy (squid or tinyproxy) on 127.0.0.1 and a free port, allowing requests
// from 127.0.0.1 only, forwarding plain http requests and tunnelling anything by CONNECT (to any
// port, unlike the distributions' default configurations). It logs each request it gets
// (requests()): the evidence that a client went through it, or did not.
//
// The proxy runs in the foreground as our child (LoopbackDaemon) with its own configuration,
// pid file and logs in a temporary directory; never a system instance, never port 3128 or 8888.
// Construction returns once it accepts connections and throws std::runtime_error, with its logs,
// when it does not start; destruction stops it. Owned and used by one test thread.
class ForwardProxy {
public:
    explicit ForwardProxy(ForwardProxyKind kind) : m_kind(std::move(kind)) {
        DaemonLaunch launch;
        launch.name = m_kind.name;
        launch.configure = [this](const std::vector<int>& ports) {
            m_port = ports[0];
            return m_kind.configure(m_prefix, m_port);
        };
        launch.has_bound = [this](pid_t pid) { return m_kind.has_bound(m_prefix, m_port, pid); };
        launch.port_taken = m_kind.port_taken;
        launch.logs = [this] { return m_kind.logs(m_prefix); };
        launch.scratch = m_prefix;
        m_daemon.emplace(std::move(launch));
    }
    ForwardProxy(const ForwardProxy&) = delete;
    ForwardProxy& operator=(const ForwardProxy&) = delete;

    const std::string& name() const { return m_kind.name; }
    int port() const { return m_port; }
    // The proxy's URL, as http_proxy and https_proxy take it.
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

    // The requests logged so far. squid logs a request when it has ended (a CONNECT tunnel when
    // it closes), tinyproxy when it arrives: wait for the expected ones with eventually().
    std::vector<ProxyRequest> requests() const { return m_kind.requests(m_prefix); }

    // The proxy's logs, standard output and standard error, for failure messages.
    std::string logs() const { return m_daemon->logs(); }

private:
    ForwardProxyKind m_kind;
    TempDir m_prefix_dir;
    std::filesystem::path m_prefix = m_prefix_dir.path();
    int m_port = 0;                         // set by each start attempt, fixed once started
    std::optional<LoopbackDaemon> m_daemon; // declared last: stopped before its files go
};

// Every proxy variable libcurl reads, in both spellings.
inline const std::vector<std::string>& proxy_variables() {
    static const std::vector<std::string> names{"http_proxy",  "HTTP_PROXY", "https_proxy",
                                                "HTTPS_PROXY", "all_proxy",  "ALL_PROXY",
                                                "no_proxy",    "NO_PROXY"};
    return names;
}

// Environment changes for a child process: every proxy variable removed, then `chosen` set.
// So a proxy set in the developer's own environment cannot decide a test.
inline std::map<std::string, std::optional<std::string>>
only_proxy_variables(const std::map<std::string, std::string>& chosen) {
    std::map<std::string, std::optional<std::string>> changes;
    for (const std::string& name : proxy_variables()) {
        changes[name] = std::nullopt;
    }
    for (const auto& [name, value] : chosen) {
        changes[name] = value;
    }
    return changes;
}

// The proxy variables of this process set to `chosen` (every other one removed) for one scope,
// for tests of the in-process download API (libcurl reads them at each transfer). Restores the
// previous values at scope end. setenv is not thread-safe: construct, set() and destroy it
// only while no other thread of the test runs a transfer or reads the environment.
class ScopedProxyEnvironment {
public:
    explicit ScopedProxyEnvironment(const std::map<std::string, std::string>& chosen = {}) {
        for (const std::string& name : proxy_variables()) {
            const char* value = std::getenv(name.c_str());
            m_saved[name] = value == nullptr ? std::nullopt : std::optional<std::string>(value);
        }
        set(chosen);
    }
    ~ScopedProxyEnvironment() { apply(m_saved); }
    ScopedProxyEnvironment(const ScopedProxyEnvironment&) = delete;
    ScopedProxyEnvironment& operator=(const ScopedProxyEnvironment&) = delete;

    // Every proxy variable removed, then `chosen` set.
    void set(const std::map<std::string, std::string>& chosen) {
        apply(only_proxy_variables(chosen));
    }

private:
    static void apply(const std::map<std::string, std::optional<std::string>>& values) {
        for (const auto& [name, value] : values) {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    }

    std::map<std::string, std::optional<std::string>> m_saved; // the values before
};

} // namespace imgfetch::test
