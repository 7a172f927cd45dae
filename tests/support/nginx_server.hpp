#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_fixture.hpp"

extern char** environ;

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

// Two distinct ports on 127.0.0.1 that were free a moment ago (the kernel picked them; both
// sockets are held at once so the two differ). Another process may take one before nginx
// binds it: NginxServer starts again on new ports when that happens.
inline std::array<int, 2> free_port_pair() {
    const Socket first;
    const Socket second;
    std::array<int, 2> ports{};
    for (std::size_t i = 0; i < 2; ++i) {
        const int fd = i == 0 ? first.fd() : second.fd();
        sockaddr_in address = loopback(0);
        socklen_t length = sizeof address;
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
        }
        ports[i] = ntohs(address.sin_port);
    }
    return ports;
}

// Whether something accepts TCP connections on 127.0.0.1:port (the connection is closed
// again at once, before any byte is sent: nginx logs no request for it).
inline bool accepts_connections(int port) {
    const Socket socket;
    const sockaddr_in address = loopback(port);
    return ::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

inline bool is_executable_file(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

} // namespace detail

// One line of NginxServer's access log.
struct AccessLogEntry {
    int port = 0;
    std::string method;
    std::string uri;      // as requested, query included
    std::string protocol; // nginx's $server_protocol: "HTTP/2.0", "HTTP/1.1"
    int status = 0;
};

// A real nginx on 127.0.0.1, for what cpp-httplib cannot do (HTTP/2). One server with two
// ports: https_port() speaks TLS with the given certificate and offers HTTP/2 by ALPN
// (`listen ... ssl http2`, nginx 1.22 syntax), http_port() speaks plain HTTP/1.1. Both serve
// the files in docroot(), which may be written before or after the start. Every request is
// logged with its protocol as nginx saw it (access_log()): evidence of the protocol that is
// independent of the client's own claim.
//
// nginx runs as a child process in the foreground (`daemon off;`) with a master and one worker,
// in its own process group, with its own prefix, configuration, pid file and logs in a
// temporary directory. The constructor returns once nginx has written its pid file (after it
// has bound both ports) and accepts connections on both; it throws std::runtime_error, with
// nginx's error log, when nginx does not start. The destructor stops nginx (SIGTERM, nginx's
// fast shutdown, which also stops the worker) and reaps it; a master that does not end within
// the deadline is killed with its whole process group, so no nginx outlives the test.
// Owned and used by one test thread; the ports are fixed for its lifetime.
class NginxServer {
public:
    // The nginx executable to use: $IMGFETCH_NGINX when set, else `nginx` on $PATH, else
    // /usr/sbin/nginx (often not on a non-root user's $PATH). Nothing when none is executable.
    static std::optional<std::string> find_executable() {
        if (const char* chosen = std::getenv("IMGFETCH_NGINX"); chosen != nullptr) {
            if (detail::is_executable_file(chosen)) {
                return std::string(chosen);
            }
            return std::nullopt;
        }
        const char* path = std::getenv("PATH");
        std::stringstream dirs(path == nullptr ? "" : path);
        for (std::string dir; std::getline(dirs, dir, ':');) {
            if (!dir.empty() && detail::is_executable_file(std::filesystem::path(dir) / "nginx")) {
                return (std::filesystem::path(dir) / "nginx").string();
            }
        }
        if (detail::is_executable_file("/usr/sbin/nginx")) {
            return std::string("/usr/sbin/nginx");
        }
        return std::nullopt;
    }

    NginxServer(std::string executable, const SelfSignedCertificate& certificate)
        : m_executable(std::move(executable)) {
        std::filesystem::create_directories(docroot());
        std::filesystem::create_directories(m_prefix / "temp");
        // A port taken by someone else between free_port_pair() and nginx's bind is the only
        // failure worth another try.
        constexpr int k_attempts = 5;
        for (int attempt = 1;; ++attempt) {
            const auto ports = detail::free_port_pair();
            m_https_port = ports[0];
            m_http_port = ports[1];
            write_file(m_prefix / "nginx.conf", configuration(certificate));
            if (start()) {
                return;
            }
            const std::string logs = startup_logs();
            if (attempt == k_attempts || logs.find("Address already in use") == std::string::npos) {
                throw std::runtime_error("nginx (" + m_executable + ") did not start:\n" + logs);
            }
        }
    }

    ~NginxServer() { stop(); }
    NginxServer(const NginxServer&) = delete;
    NginxServer& operator=(const NginxServer&) = delete;

    // The files served on both ports: <docroot>/a.png is /a.png.
    std::filesystem::path docroot() const { return m_prefix / "html"; }

    int https_port() const { return m_https_port; }
    int http_port() const { return m_http_port; }
    std::string https_url(const std::string& path) const {
        return "https://127.0.0.1:" + std::to_string(m_https_port) + path;
    }
    std::string http_url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_http_port) + path;
    }

    // The access log so far, one entry per completed request. nginx writes a request's line
    // once the response has gone out, so a client may see its response a moment before the
    // line appears: wait for the expected count with eventually().
    std::vector<AccessLogEntry> access_log() const {
        std::vector<AccessLogEntry> entries;
        std::istringstream lines(read_file(m_prefix / "access.log"));
        for (std::string line; std::getline(lines, line);) {
            if (lines.eof()) {
                break; // no line end yet: a line being written
            }
            std::istringstream fields(line);
            AccessLogEntry entry;
            if (fields >> entry.port >> entry.method >> entry.uri >> entry.protocol >>
                entry.status) {
                entries.push_back(std::move(entry));
            }
        }
        return entries;
    }

    // nginx's error log and standard error, for failure messages.
    std::string startup_logs() const {
        return "--- error.log\n" + read_file(m_prefix / "error.log") + "--- stderr\n" +
               read_file(m_prefix / "nginx.stderr");
    }

private:
    std::string configuration(const SelfSignedCertificate& certificate) const {
        const auto quoted = [](const std::filesystem::path& path) {
            return "\"" + path.string() + "\"";
        };
        std::ostringstream conf;
        // Workers run as root when we are root: a temporary directory (mode 0700) is not
        // readable by nginx's default worker user. Otherwise nginx cannot switch users, and
        // workers run as we do.
        if (::geteuid() == 0) {
            conf << "user root;\n";
        }
        conf << "daemon off;\n"
             << "master_process on;\n"
             << "worker_processes 1;\n"
             << "pid " << quoted(m_prefix / "nginx.pid") << ";\n"
             << "lock_file " << quoted(m_prefix / "nginx.lock") << ";\n"
             << "error_log " << quoted(m_prefix / "error.log") << " warn;\n"
             << "events { worker_connections 256; }\n"
             << "http {\n"
             << "    log_format protocols "
             << "'$server_port $request_method $request_uri $server_protocol $status';\n"
             << "    access_log " << quoted(m_prefix / "access.log") << " protocols;\n";
        // Debian's nginx is built with temporary paths under /var/lib/nginx: keep them ours.
        for (const char* kind : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
            conf << "    " << kind << "_temp_path " << quoted(m_prefix / "temp" / kind) << ";\n";
        }
        conf << "    types { image/png png; image/jpeg jpg; }\n"
             << "    default_type application/octet-stream;\n"
             << "    server {\n"
             << "        listen 127.0.0.1:" << m_https_port << " ssl http2;\n"
             << "        listen 127.0.0.1:" << m_http_port << ";\n"
             << "        server_name localhost;\n"
             << "        ssl_certificate " << quoted(certificate.cert_path()) << ";\n"
             << "        ssl_certificate_key " << quoted(certificate.key_path()) << ";\n"
             << "        root " << quoted(docroot())
             << ";\n"
             // Stored-gzipped objects, sent encoded whatever the request asks (S3, CDNs).
             << "        location /gz/ { gzip_static always; }\n"
             << "    }\n"
             << "}\n";
        return conf.str();
    }

    // Starts nginx and waits until it serves. Returns false (nginx reaped) when it ended
    // instead; throws when it neither ends nor serves within the deadline.
    bool start() {
        std::filesystem::remove(m_prefix / "nginx.pid");
        std::filesystem::remove(m_prefix / "error.log");
        spawn();
        bool ended = false;
        const bool ready = eventually([&] {
            ended = reap(WNOHANG);
            return ended || serving();
        });
        if (ended) {
            return false;
        }
        if (!ready) {
            const std::string logs = startup_logs();
            stop();
            throw std::runtime_error("nginx did not accept connections within the deadline:\n" +
                                     logs);
        }
        return true;
    }

    // nginx writes its pid file only after it has bound every listening socket: our pid in
    // it means the ports are nginx's, not another process's that took one first.
    bool serving() const {
        const std::string pid = read_file(m_prefix / "nginx.pid");
        return pid == std::to_string(m_pid) + "\n" && detail::accepts_connections(m_https_port) &&
               detail::accepts_connections(m_http_port);
    }

    void spawn() {
        // -e: errors from before the configuration is read go to our log too.
        std::vector<std::string> storage{m_executable,
                                         "-p",
                                         m_prefix.string() + "/",
                                         "-c",
                                         (m_prefix / "nginx.conf").string(),
                                         "-e",
                                         (m_prefix / "error.log").string()};
        std::vector<char*> argv;
        for (std::string& arg : storage) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        const std::string out = (m_prefix / "nginx.stdout").string();
        const std::string err = (m_prefix / "nginx.stderr").string();

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
        posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        // Default dispositions and an empty mask, as from a shell (the test binary ignores
        // SIGPIPE); its own process group, so a master that will not stop can be killed with
        // its worker.
        sigset_t defaults;
        sigemptyset(&defaults);
        for (const int sig : {SIGINT, SIGTERM, SIGPIPE, SIGXFSZ, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                              SIGCHLD, SIGWINCH, SIGALRM, SIGIO}) {
            sigaddset(&defaults, sig);
        }
        sigset_t empty;
        sigemptyset(&empty);
        posix_spawnattr_setsigdefault(&attributes, &defaults);
        posix_spawnattr_setsigmask(&attributes, &empty);
        posix_spawnattr_setpgroup(&attributes, 0);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                                                  POSIX_SPAWN_SETPGROUP);
        const int rc = posix_spawn(&m_pid, argv[0], &actions, &attributes, argv.data(), environ);
        posix_spawnattr_destroy(&attributes);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            m_pid = -1;
            throw std::system_error(rc, std::generic_category(), "posix_spawn " + m_executable);
        }
    }

    // Whether the master has ended (and is reaped); `options` is 0 (block) or WNOHANG.
    bool reap(int options) {
        if (m_pid < 0) {
            return true;
        }
        int status = 0;
        pid_t pid = 0;
        do {
            pid = ::waitpid(m_pid, &status, options);
        } while (pid < 0 && errno == EINTR);
        if (pid != m_pid) {
            return false;
        }
        m_pid = -1;
        return true;
    }

    void stop() {
        if (m_pid < 0) {
            return;
        }
        ::kill(m_pid, SIGTERM);
        if (!eventually([this] { return reap(WNOHANG); })) {
            // Not reaped, so m_pid is still the group's id and ours to kill.
            ::kill(-m_pid, SIGKILL);
            reap(0);
        }
    }

    TempDir m_prefix_dir;
    std::filesystem::path m_prefix = m_prefix_dir.path();
    std::string m_executable;
    int m_https_port = 0;
    int m_http_port = 0;
    pid_t m_pid = -1; // the master; -1 when not running (reaped)
};

} // namespace imgfetch::test
