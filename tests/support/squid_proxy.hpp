#pragma once

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/forward_proxy.hpp"
#include "support/loopback_daemon.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch::test {

// A real squid (Debian 12's 5.7) as a ForwardProxy: `squid -N` (no daemon, one process) with its
// own configuration (-f), caching nothing, logging each request as "METHOD TARGET STATUS TAG" to
// prefix/access.log, unbuffered. shutdown_lifetime 0 makes SIGTERM stop it at once. As root,
// squid drops to Debian's `proxy` user, so its temporary prefix is handed to that user.
inline std::unique_ptr<ForwardProxy> start_squid(const std::string& executable) {
    ForwardProxyKind kind;
    kind.name = "squid";
    kind.configure = [executable](const std::filesystem::path& prefix, int port) {
        for (const char* file : {"cache.log", "access.log", "squid.pid"}) {
            std::filesystem::remove(prefix / file);
        }
        std::ostringstream conf;
        conf << "http_port 127.0.0.1:" << port << "\n"
             << "pid_filename " << (prefix / "squid.pid").string() << "\n"
             << "cache_log " << (prefix / "cache.log").string() << "\n"
             << "logformat imgfetch %rm %ru %>Hs %Ss\n"
             << "access_log stdio:" << (prefix / "access.log").string() << " imgfetch\n"
             << "buffered_logs off\n"
             << "cache deny all\n"
             << "cache_mem 8 MB\n"
             << "coredump_dir " << prefix.string() << "\n"
             << "netdb_filename none\n"
             << "pinger_enable off\n"
             << "visible_hostname imgfetch-test\n"
             << "shutdown_lifetime 0 seconds\n"
             << "acl loopback src 127.0.0.1/32\n"
             << "http_access allow loopback\n"
             << "http_access deny all\n";
        const passwd* user = ::geteuid() == 0 ? ::getpwnam("proxy") : nullptr;
        if (user != nullptr) {
            conf << "cache_effective_user proxy\n";
        }
        write_file(prefix / "squid.conf", conf.str());
        if (user != nullptr && ::chown(prefix.c_str(), user->pw_uid, user->pw_gid) != 0) {
            throw std::system_error(errno, std::generic_category(), "chown " + prefix.string());
        }
        return std::vector<std::string>{executable, "-N", "-f", (prefix / "squid.conf").string()};
    };
    // squid logs its pid at the start and this line once it listens (the pid file comes later).
    kind.has_bound = [](const std::filesystem::path& prefix, int port, pid_t pid) {
        const std::string log = read_file(prefix / "cache.log");
        return log.find("| Process ID " + std::to_string(pid) + "\n") != std::string::npos &&
               log.find("| Accepting HTTP Socket connections at ") != std::string::npos &&
               log.find(" local=127.0.0.1:" + std::to_string(port) + " ") != std::string::npos;
    };
    kind.requests = [](const std::filesystem::path& prefix) {
        std::vector<ProxyRequest> requests;
        for (const std::string& line : complete_lines(read_file(prefix / "access.log"))) {
            std::istringstream fields(line);
            ProxyRequest request;
            // A connection closed before it sent a request is logged with method "-" and
            // the target "error:transaction-end-before-headers".
            if (fields >> request.method >> request.target && request.method != "-" &&
                request.target.rfind("error:", 0) != 0) {
                requests.push_back(std::move(request));
            }
        }
        return requests;
    };
    kind.logs = [](const std::filesystem::path& prefix) {
        return "--- cache.log\n" + read_file(prefix / "cache.log") + "--- access.log\n" +
               read_file(prefix / "access.log");
    };
    return std::make_unique<ForwardProxy>(std::move(kind));
}

} // namespace imgfetch::test
