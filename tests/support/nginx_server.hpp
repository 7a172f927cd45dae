#pragma once

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/loopback_daemon.hpp"
#include "support/tls_fixture.hpp"
#include "support/web_server.hpp"

namespace imgfetch::test {

// A real nginx (1.22: `listen ... ssl http2`) as a WebServer: a master and one worker, run with
// `daemon off;` and its own prefix (-p), so nothing of a system nginx is touched. nginx's fast
// shutdown (SIGTERM) stops the worker too. Under /gz/ it serves stored-gzipped objects encoded
// whatever the request asks (`gzip_static always`, as S3 and CDNs do): <docroot>/gz/a.png.gz is
// /gz/a.png. Under /slow/ a request for a whole file is paced at 256 KiB/s, one for a range is
// not. The access log adds the body bytes sent to each line.
class NginxServer : public WebServer {
public:
    // The nginx to use: $IMGFETCH_NGINX when set, else `nginx` on $PATH, else /usr/sbin/nginx.
    static std::optional<std::string> find_executable() {
        return find_daemon("IMGFETCH_NGINX", "nginx");
    }

    NginxServer(const std::string& executable, const SelfSignedCertificate& certificate)
        : WebServer(nginx_kind(executable, certificate)) {}

private:
    static WebServerKind nginx_kind(const std::string& executable,
                                    const SelfSignedCertificate& certificate) {
        WebServerKind kind;
        kind.name = "nginx";
        kind.configure = [executable, cert = certificate.cert_path(), key = certificate.key_path()](
                             const std::filesystem::path& prefix, const std::vector<int>& ports) {
            write_file(prefix / "nginx.conf", configuration(prefix, ports, cert, key));
            // -e: errors from before the configuration is read go to our log too.
            return std::vector<std::string>{executable,
                                            "-p",
                                            prefix.string() + "/",
                                            "-c",
                                            (prefix / "nginx.conf").string(),
                                            "-e",
                                            (prefix / "error.log").string()};
        };
        return kind;
    }

    static std::string configuration(const std::filesystem::path& prefix,
                                     const std::vector<int>& ports,
                                     const std::filesystem::path& cert,
                                     const std::filesystem::path& key) {
        std::filesystem::create_directories(prefix / "temp");
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
             << "pid " << quoted(prefix / "nginx.pid") << ";\n"
             << "lock_file " << quoted(prefix / "nginx.lock") << ";\n"
             << "error_log " << quoted(prefix / "error.log") << " warn;\n"
             << "events { worker_connections 256; }\n"
             << "http {\n"
             << "    log_format protocols "
             << "'$server_port $request_method $request_uri $server_protocol $status "
             << "$body_bytes_sent';\n"
             // /slow/ paces whole-file requests (a transfer a test can kill midway) but not
             // range requests, which finish at once (0 = no limit).
             << "    map $http_range $imgfetch_whole_file_rate { '' 256k; default 0; }\n"
             << "    access_log " << quoted(prefix / "access.log") << " protocols;\n";
        // Debian's nginx is built with temporary paths under /var/lib/nginx: keep them ours.
        for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
            conf << "    " << temp << "_temp_path " << quoted(prefix / "temp" / temp) << ";\n";
        }
        conf << "    types { image/png png; image/jpeg jpg; }\n"
             << "    default_type application/octet-stream;\n"
             << "    server {\n"
             << "        listen 127.0.0.1:" << ports[0] << " ssl http2;\n"
             << "        listen 127.0.0.1:" << ports[1] << ";\n"
             << "        server_name localhost;\n"
             << "        ssl_certificate " << quoted(cert) << ";\n"
             << "        ssl_certificate_key " << quoted(key) << ";\n"
             << "        root " << quoted(prefix / "html")
             << ";\n"
             // Stored-gzipped objects, sent encoded whatever the request asks (S3, CDNs).
             << "        location /gz/ { gzip_static always; }\n"
             << "        location /slow/ { limit_rate $imgfetch_whole_file_rate; }\n"
             << "    }\n"
             << "}\n";
        return conf.str();
    }
};

} // namespace imgfetch::test
