#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/loopback_daemon.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch::test {

// One line of a WebServer's access log.
struct AccessLogEntry {
    int port = 0;
    std::string method;
    std::string uri;      // as requested, query included
    std::string protocol; // as the server saw it: "HTTP/2.0", "HTTP/1.1"
    int status = 0;
    std::uint64_t body_bytes = 0; // the body bytes sent, where the server logs them (nginx)
};

// How to run one kind of web server (NginxServer, ApacheServer).
struct WebServerKind {
    std::string name; // "nginx": for messages, and the pid file's name
    // Writes the configuration into `prefix` for ports (https, http) and returns the command
    // line. The server must log each request as "PORT METHOD URI PROTOCOL STATUS" to
    // prefix/access.log, errors to prefix/error.log and its pid to prefix/NAME.pid.
    std::function<std::vector<std::string>(const std::filesystem::path& prefix,
                                           const std::vector<int>& ports)>
        configure;
};

// A real web server on 127.0.0.1 for what cpp-httplib cannot do (HTTP/2): nginx or apache2.
// One server with two ports: https_port() speaks TLS with a given certificate and offers HTTP/2
// by ALPN, http_port() speaks plain HTTP/1.1. Both serve the files in docroot(), which may be
// written before or after the start. Every request is logged with its protocol as the server saw
// it (access_log()): evidence of the protocol that is independent of the client's own claim.
//
// The server runs in the foreground as our child (LoopbackDaemon), with its own configuration,
// pid file and logs in a temporary directory; never a system instance, never port 80 or 443.
// Construction returns once it has written its pid file (both servers do so after binding their
// ports) and accepts connections on both ports; it throws std::runtime_error, with the server's
// logs, when the server does not start. Destruction stops it. Owned and used by one test thread;
// the ports are fixed for its lifetime.
class WebServer {
public:
    explicit WebServer(const WebServerKind& kind) : m_name(kind.name) {
        std::filesystem::create_directories(docroot());
        DaemonLaunch launch;
        launch.name = m_name;
        launch.port_count = 2;
        launch.configure = [this, configure = kind.configure](const std::vector<int>& ports) {
            std::filesystem::remove(error_log_path());
            std::filesystem::remove(pid_path());
            return configure(m_prefix, ports);
        };
        launch.has_bound = [this](pid_t pid) { return pid_file_holds(pid_path(), pid); };
        launch.logs = [this] { return "--- error log\n" + read_file(error_log_path()); };
        launch.scratch = m_prefix;
        m_daemon.emplace(std::move(launch));
    }
    virtual ~WebServer() = default; // NginxServer and ApacheServer add only a constructor
    WebServer(const WebServer&) = delete;
    WebServer& operator=(const WebServer&) = delete;

    const std::string& name() const { return m_name; }

    // The files served on both ports: <docroot>/a.png is /a.png.
    std::filesystem::path docroot() const { return m_prefix / "html"; }

    int https_port() const { return m_daemon->ports()[0]; }
    int http_port() const { return m_daemon->ports()[1]; }
    std::string https_url(const std::string& path) const {
        return "https://127.0.0.1:" + std::to_string(https_port()) + path;
    }
    std::string http_url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(http_port()) + path;
    }

    // The access log so far, one entry per completed request. A server writes a request's
    // line once the response has gone out, so a client may see its response a moment before
    // the line appears: wait for the expected count with eventually().
    std::vector<AccessLogEntry> access_log() const {
        std::vector<AccessLogEntry> entries;
        for (const std::string& line : complete_lines(read_file(m_prefix / "access.log"))) {
            std::istringstream fields(line);
            AccessLogEntry entry;
            if (fields >> entry.port >> entry.method >> entry.uri >> entry.protocol >>
                entry.status) {
                fields >> entry.body_bytes; // optional: stays 0 when absent
                entries.push_back(std::move(entry));
            }
        }
        return entries;
    }

    // The server's error log, standard output and standard error, for failure messages.
    std::string startup_logs() const { return m_daemon->logs(); }

private:
    std::filesystem::path error_log_path() const { return m_prefix / "error.log"; }
    std::filesystem::path pid_path() const { return m_prefix / (m_name + ".pid"); }

    std::string m_name;
    TempDir m_prefix_dir;
    std::filesystem::path m_prefix = m_prefix_dir.path();
    std::optional<LoopbackDaemon> m_daemon; // declared last: stopped before its files go
};

// Starts a `Server` (NginxServer, ApacheServer) as a WebServer: DaemonUnderTest::start.
template <typename Server, typename... Args>
std::unique_ptr<WebServer> start_web_server(const std::string& executable, const Args&... args) {
    return std::make_unique<Server>(executable, args...);
}

// A path in double quotes, as nginx's and apache2's configuration files take it.
inline std::string quoted(const std::filesystem::path& path) {
    return "\"" + path.string() + "\"";
}

} // namespace imgfetch::test
