#pragma once

#include <pwd.h>
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

// A real Apache httpd (Debian's apache2-bin, 2.4) as a WebServer, HTTP/2 by mod_http2
// (`Protocols h2 http/1.1` on the TLS port) under the event MPM. It runs with -DFOREGROUND and
// its own configuration file (-f), which loads exactly the modules it needs from Debian's module
// directory: none of /etc/apache2 is read. SIGTERM stops the parent and its child process.
//
// As root, Apache serves as www-data (it refuses to serve as root): the temporary prefix is made
// traversable for it (mode 0711) and the document root readable. The certificate's key and the
// logs are opened by the parent, before it gives up root.
class ApacheServer : public WebServer {
public:
    // The apache2 to use: $IMGFETCH_APACHE2 when set, else `apache2` on $PATH, else
    // /usr/sbin/apache2 (Debian's apache2-bin).
    static std::optional<std::string> find_executable() {
        return find_daemon("IMGFETCH_APACHE2", "apache2");
    }

    ApacheServer(const std::string& executable, const SelfSignedCertificate& certificate)
        : WebServer(apache_kind(executable, certificate)) {}

private:
    static WebServerKind apache_kind(const std::string& executable,
                                     const SelfSignedCertificate& certificate) {
        WebServerKind kind;
        kind.name = "apache2";
        kind.configure = [executable, cert = certificate.cert_path(), key = certificate.key_path()](
                             const std::filesystem::path& prefix, const std::vector<int>& ports) {
            const std::filesystem::path modules = "/usr/lib/apache2/modules";
            std::ostringstream conf;
            conf << "ServerRoot " << quoted(prefix) << "\n"
                 << "ServerName 127.0.0.1\n"
                 << "PidFile " << quoted(prefix / "apache2.pid") << "\n"
                 << "DefaultRuntimeDir " << quoted(prefix) << "\n"
                 << "Mutex file:" << prefix.string() << " default\n"
                 << "ErrorLog " << quoted(prefix / "error.log") << "\n"
                 << "LogLevel warn\n"
                 << "LogFormat \"%{local}p %m %U%q %H %>s\" protocols\n"
                 << "CustomLog " << quoted(prefix / "access.log") << " protocols\n";
            for (const char* module : {"mpm_event", "authz_core", "mime", "ssl", "http2"}) {
                conf << "LoadModule " << module << "_module "
                     << quoted(modules / ("mod_" + std::string(module) + ".so")) << "\n";
            }
            if (::geteuid() == 0 && ::getpwnam("www-data") != nullptr) {
                conf << "User www-data\nGroup www-data\n";
                std::filesystem::permissions(prefix, std::filesystem::perms::owner_all |
                                                         std::filesystem::perms::group_exec |
                                                         std::filesystem::perms::others_exec);
            }
            // One child process with enough threads for a few HTTP/2 connections.
            conf << "StartServers 1\nServerLimit 1\nThreadsPerChild 32\nMaxRequestWorkers 32\n"
                 << "MinSpareThreads 1\nMaxSpareThreads 32\n"
                 << "TypesConfig /dev/null\n"
                 << "AddType image/png .png\nAddType image/jpeg .jpg\n"
                 << "SSLSessionCache none\n"
                 << "DocumentRoot " << quoted(prefix / "html") << "\n"
                 << "<Directory " << quoted(prefix / "html") << ">\n"
                 << "    Require all granted\n"
                 << "</Directory>\n"
                 << "Listen 127.0.0.1:" << ports[0] << "\n"
                 << "Listen 127.0.0.1:" << ports[1] << "\n"
                 << "<VirtualHost 127.0.0.1:" << ports[0] << ">\n"
                 << "    Protocols h2 http/1.1\n"
                 << "    SSLEngine on\n"
                 << "    SSLCertificateFile " << quoted(cert) << "\n"
                 << "    SSLCertificateKeyFile " << quoted(key) << "\n"
                 << "</VirtualHost>\n"
                 << "<VirtualHost 127.0.0.1:" << ports[1] << ">\n"
                 << "    Protocols http/1.1\n"
                 << "</VirtualHost>\n";
            write_file(prefix / "apache2.conf", conf.str());
            return std::vector<std::string>{executable, "-DFOREGROUND", "-f",
                                            (prefix / "apache2.conf").string()};
        };
        return kind;
    }
};

} // namespace imgfetch::test
