#pragma once

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "support/forward_proxy.hpp"
#include "support/loopback_daemon.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch::test {

// A real tinyproxy (Debian 12's 1.11) as a ForwardProxy: `tinyproxy -d` (foreground) with its own
// configuration (-c), logging at level Info to prefix/tinyproxy.log, where each request is a line
// "... Request (file descriptor N): METHOD TARGET HTTP/1.1" written as it arrives. No ConnectPort
// line, so CONNECT may reach any port. As root it runs as root (it warns that no User is set):
// its files stay in a directory only we can read.
inline std::unique_ptr<ForwardProxy> start_tinyproxy(const std::string& executable) {
    ForwardProxyKind kind;
    kind.name = "tinyproxy";
    kind.configure = [executable](const std::filesystem::path& prefix, int port) {
        std::filesystem::remove(prefix / "tinyproxy.log");
        std::ostringstream conf;
        conf << "Port " << port << "\n"
             << "Listen 127.0.0.1\n"
             << "Timeout 60\n"
             << "LogFile \"" << (prefix / "tinyproxy.log").string() << "\"\n"
             << "LogLevel Info\n"
             << "PidFile \"" << (prefix / "tinyproxy.pid").string() << "\"\n"
             << "MaxClients 64\n"
             << "Allow 127.0.0.1\n";
        write_file(prefix / "tinyproxy.conf", conf.str());
        return std::vector<std::string>{executable, "-d", "-c",
                                        (prefix / "tinyproxy.conf").string()};
    };
    // tinyproxy logs this once its listening sockets are open; it exits when it cannot open one.
    kind.has_bound = [](const std::filesystem::path& prefix, int, pid_t pid) {
        return read_file(prefix / "tinyproxy.log")
                   .find("[" + std::to_string(pid) +
                         "]: Starting main loop. Accepting connections.") != std::string::npos;
    };
    kind.port_taken = "Could not create listening sockets";
    kind.requests = [](const std::filesystem::path& prefix) {
        std::vector<ProxyRequest> requests;
        const std::string marker = "]: Request (file descriptor ";
        for (const std::string& line : complete_lines(read_file(prefix / "tinyproxy.log"))) {
            const auto at = line.find(marker);
            const auto colon = at == std::string::npos ? at : line.find("): ", at);
            if (colon == std::string::npos) {
                continue;
            }
            std::istringstream fields(line.substr(colon + 3));
            ProxyRequest request;
            if (fields >> request.method >> request.target) {
                requests.push_back(std::move(request));
            }
        }
        return requests;
    };
    kind.logs = [](const std::filesystem::path& prefix) {
        return "--- tinyproxy.log\n" + read_file(prefix / "tinyproxy.log");
    };
    return std::make_unique<ForwardProxy>(std::move(kind));
}

} // namespace imgfetch::test
