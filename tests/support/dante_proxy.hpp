#pragma once

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

// A real Dante SOCKS server (Debian 12's dante-server, danted 1.4) as a ForwardProxy:
// `danted -f CONF -p PIDFILE -N 1`, which stays in the foreground (no -D) with its own
// configuration: SOCKS5 without authentication on 127.0.0.1:port, clients from 127.0.0.1 only,
// CONNECT to 127.0.0.0/8 only (nothing else is ever reachable through it), logging each
// connection it makes to prefix/danted.log. Each logged connection is a ProxyRequest
// {"CONNECT", "127.0.0.1:PORT"}: SOCKS carries bytes, so the proxy never sees a method or URL
// (and with socks5h:// it gets the host name, but logs the address it connected to). As root it
// must be told which users to switch to; it keeps root to bind and uses `nobody` otherwise.
// Its URL is socks_url(), not ForwardProxy::url() (an http:// URL).
inline std::unique_ptr<ForwardProxy> start_danted(const std::string& executable) {
    ForwardProxyKind kind;
    kind.name = "danted";
    kind.configure = [executable](const std::filesystem::path& prefix, int port) {
        for (const char* file : {"danted.log", "danted.pid"}) {
            std::filesystem::remove(prefix / file);
        }
        std::ostringstream conf;
        conf << "logoutput: " << (prefix / "danted.log").string() << "\n"
             << "internal: 127.0.0.1 port = " << port << "\n"
             << "external: 127.0.0.1\n"
             << "socksmethod: none\n"
             << "clientmethod: none\n";
        if (::geteuid() == 0) {
            conf << "user.privileged: root\n"
                 << "user.unprivileged: nobody\n";
        }
        conf << "client pass {\n  from: 127.0.0.1/32 to: 0.0.0.0/0\n  log: error\n}\n"
             << "socks pass {\n  from: 127.0.0.1/32 to: 127.0.0.0/8\n  command: connect\n"
             << "  log: error connect\n}\n"
             << "socks block {\n  from: 0.0.0.0/0 to: 0.0.0.0/0\n  log: error connect\n}\n";
        write_file(prefix / "danted.conf", conf.str());
        return std::vector<std::string>{executable,
                                        "-f",
                                        (prefix / "danted.conf").string(),
                                        "-p",
                                        (prefix / "danted.pid").string(),
                                        "-N",
                                        "1"};
    };
    // danted writes its pid file ("PID\n") once it has bound its internal address.
    kind.has_bound = [](const std::filesystem::path& prefix, int, pid_t pid) {
        std::istringstream text(read_file(prefix / "danted.pid"));
        pid_t written = 0;
        return text >> written && written == pid;
    };
    // "... pass(1): tcp/connect [: 127.0.0.1.CLIENT 127.0.0.1.PORT -> 127.0.0.1.OUT
    // 127.0.0.1.TARGET": the last field is the target, its port after the last dot.
    kind.requests = [](const std::filesystem::path& prefix) {
        std::vector<ProxyRequest> requests;
        for (const std::string& line : complete_lines(read_file(prefix / "danted.log"))) {
            if (line.find(": pass(") == std::string::npos ||
                line.find(" tcp/connect [") == std::string::npos) {
                continue;
            }
            const std::string target = line.substr(line.find_last_of(' ') + 1);
            const auto dot = target.find_last_of('.');
            if (dot == std::string::npos) {
                continue;
            }
            requests.push_back({"CONNECT", target.substr(0, dot) + ":" + target.substr(dot + 1)});
        }
        return requests;
    };
    kind.logs = [](const std::filesystem::path& prefix) {
        return "--- danted.log\n" + read_file(prefix / "danted.log");
    };
    return std::make_unique<ForwardProxy>(std::move(kind));
}

// The SOCKS URL of a proxy started by start_danted(): "socks5://127.0.0.1:PORT", or with
// `scheme` "socks5h" (the proxy resolves host names).
inline std::string socks_url(const ForwardProxy& proxy, const std::string& scheme = "socks5") {
    return scheme + "://127.0.0.1:" + std::to_string(proxy.port());
}

} // namespace imgfetch::test
