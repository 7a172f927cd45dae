// HTTP/2: over https imgfetch gets HTTP/2 by ALPN from a server that offers it, over plain http it
// stays on HTTP/1.1, and the report says which (http_version). Every test runs against two real
// servers of independent HTTP/2 implementations (cpp-httplib has no HTTP/2): nginx and Apache
// httpd with mod_http2, each with a certificate made at test time; the server's access log is
// the witness that does not rely on libcurl's word.
//
// nginx and apache2 are dependencies of the test suite (scripts/install-deps.sh --test): without
// one its tests fail, unless IMGFETCH_SKIP_NGINX_TESTS=1 or IMGFETCH_SKIP_APACHE2_TESTS=1 says to
// skip them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "imgfetch/app.hpp"
#include "support/apache_server.hpp"
#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/loopback_daemon.hpp"
#include "support/nginx_server.hpp"
#include "support/run_options.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_fixture.hpp"
#include "support/web_server.hpp"

namespace imgfetch {
namespace {

using nlohmann::json;
using test::AccessLogEntry;
using test::read_file;
using test::SelfSignedCertificate;
using test::TempDir;
using test::WebServer;

// One of the servers every test runs against.
using ServerUnderTest = test::DaemonUnderTest<WebServer, SelfSignedCertificate>;

const ServerUnderTest k_nginx{"nginx", "IMGFETCH_NGINX", "IMGFETCH_SKIP_NGINX_TESTS",
                              test::start_web_server<test::NginxServer>};
const ServerUnderTest k_apache2{"apache2", "IMGFETCH_APACHE2", "IMGFETCH_SKIP_APACHE2_TESTS",
                                test::start_web_server<test::ApacheServer>};

// A running server serving a handful of images, from 2 KiB to 1 MiB: the larger ones need
// several HTTP/2 DATA frames and flow-control window updates (the initial window is 64 KiB).
class Http2 : public ::testing::TestWithParam<ServerUnderTest> {
protected:
    void SetUp() override {
        const ServerUnderTest& kind = GetParam();
        if (kind.skipped()) {
            GTEST_SKIP() << kind.skip_var << "=1";
        }
        const std::optional<std::string> executable = kind.executable();
        ASSERT_TRUE(executable) << kind.missing("its HTTP/2 tests");
        server = kind.start(*executable, certificate);
        const std::vector<std::size_t> sizes{2'048, 40'000, 70'000, 300'000, 1'048'576, 9'000};
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            const bool png = i % 2 == 0;
            const std::string name = std::to_string(i) + (png ? ".png" : ".jpg");
            images[name] = png ? test::fake_png(i, sizes[i]) : test::fake_jpeg(i, sizes[i]);
            test::write_file(server->docroot() / name, images[name]);
        }
    }

    // A list of every image, each URL made by `url_of` from "/NAME".
    template <typename UrlOf>
    std::string list_of_images(const std::string& file, UrlOf url_of) {
        std::string text;
        for (const auto& [name, body] : images) {
            text += url_of("/" + name) + "\n";
        }
        const auto path = temp / file;
        test::write_file(path, text);
        return path.string();
    }
    std::string https_list() {
        return list_of_images("https.txt",
                              [this](const auto& path) { return server->https_url(path); });
    }
    std::string http_list() {
        return list_of_images("http.txt",
                              [this](const auto& path) { return server->http_url(path); });
    }

    Options options_for(const std::string& list, const std::string& out) {
        Options options = test::run_options(list, temp.path(), out);
        options.transfer.cacert = certificate.cert_path().string();
        options.politeness.jobs = 3;
        return options;
    }

    // Every image saved under its name in `out`, byte for byte, and nothing else.
    void expect_every_image_saved_in(const std::string& out) {
        std::vector<std::string> expected_names;
        for (const auto& [name, body] : images) {
            expected_names.push_back(name);
            EXPECT_EQ(read_file(temp / out / name), body) << name << " differs";
        }
        EXPECT_EQ(test::list_dir(temp / out), expected_names);
    }

    // Every file entry of the report at `path` is ok, HTTP 200, over `version`.
    void expect_report_says(const std::filesystem::path& path, const std::string& version) {
        const json report = json::parse(read_file(path));
        ASSERT_EQ(report["files"].size(), images.size()) << report.dump(2);
        for (const json& file : report["files"]) {
            EXPECT_EQ(file["status"], "ok") << file.dump();
            EXPECT_EQ(file["http_status"], 200) << file.dump();
            EXPECT_EQ(file["http_version"], version) << file.dump();
        }
    }

    // Once the server has logged `count` requests (it writes a line just after the response has
    // gone out, so maybe a moment after the client has it), the log; fewer after the deadline.
    std::vector<AccessLogEntry> access_log_with(std::size_t count) {
        test::eventually([&] { return server->access_log().size() >= count; });
        return server->access_log();
    }

    std::map<std::string, std::string> images; // name -> body, as served
    TempDir temp;
    SelfSignedCertificate certificate = SelfSignedCertificate::for_loopback(temp.path());
    std::unique_ptr<WebServer> server; // nginx or apache2
};

TEST_P(Http2, HttpsNegotiatesHttp2AndSavesEveryImageByteForByte) {
    EXPECT_EQ(run(options_for(https_list(), "out")), 0);

    expect_report_says(temp / "out.json", "2");
    expect_every_image_saved_in("out");
}

TEST_P(Http2, PlainHttpToTheSameServerStaysOnHttp11) {
    EXPECT_EQ(run(options_for(http_list(), "out")), 0);

    expect_report_says(temp / "out.json", "1.1");
    expect_every_image_saved_in("out");
}

TEST_P(Http2, CommandLineWithFourJobsReportsHttp2ForEveryFile) {
    const auto report = temp / "run.json";
    const auto log = temp / "run.log";

    const test::ProcessResult result =
        test::run_imgfetch({https_list(), "-o", (temp / "out").string(), "-j", "4", "--cacert",
                            certificate.cert_path().string(), "--retries", "0", "-v", "--log-file",
                            log.string(), "--report", report.string()},
                           temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    expect_report_says(report, "2");
    expect_every_image_saved_in("out");
    // -v's line per file names the version too: "ok URL -> PATH (N bytes, T s, HTTP/2)".
    const std::string log_text = read_file(log);
    for (const auto& [name, body] : images) {
        const std::string line_part = server->https_url("/" + name) + " -> " +
                                      (temp / "out" / name).string() + " (" +
                                      std::to_string(body.size()) + " bytes, ";
        const auto at = log_text.find(line_part);
        ASSERT_NE(at, std::string::npos) << name << " not logged:\n" << log_text;
        const auto line_end = log_text.find('\n', at);
        EXPECT_NE(log_text.substr(at, line_end - at).find(" s, HTTP/2)"), std::string::npos)
            << log_text.substr(at, line_end - at);
    }
}

TEST_P(Http2, ServerAccessLogShowsHttp2OverHttpsAndHttp11OverPlainHttp) {
    ASSERT_EQ(run(options_for(https_list(), "tls")), 0);
    ASSERT_EQ(run(options_for(http_list(), "plain")), 0);

    const std::vector<AccessLogEntry> log = access_log_with(2 * images.size());

    // Exactly one GET per image and port, each over the protocol of that port.
    std::map<std::string, std::string> https_protocols;
    std::map<std::string, std::string> http_protocols;
    for (const AccessLogEntry& entry : log) {
        EXPECT_EQ(entry.method, "GET") << entry.uri;
        EXPECT_EQ(entry.status, 200) << entry.uri;
        auto& protocols = entry.port == server->https_port() ? https_protocols : http_protocols;
        EXPECT_TRUE(protocols.emplace(entry.uri, entry.protocol).second)
            << entry.uri << " requested twice on port " << entry.port;
    }
    ASSERT_EQ(log.size(), 2 * images.size()) << server->startup_logs();
    for (const auto& [name, body] : images) {
        EXPECT_EQ(https_protocols["/" + name], "HTTP/2.0") << name;
        EXPECT_EQ(http_protocols["/" + name], "HTTP/1.1") << name;
    }
}

// Each file a stream on the worker's one HTTP/2 connection: one TCP connect, one TLS handshake
// for the whole list, as the report's summary counts them (CURLINFO_NUM_CONNECTS).
TEST_P(Http2, OneWorkerFetchesEveryImageOverItsOneConnection) {
    Options options = options_for(https_list(), "out");
    options.politeness.jobs = 1;

    ASSERT_EQ(run(options), 0);

    expect_report_says(temp / "out.json", "2");
    const json summary = json::parse(read_file(temp / "out.json"))["summary"];
    EXPECT_EQ(summary["connections"], 1) << summary.dump();
    EXPECT_EQ(summary["tls_handshakes"], 1) << summary.dump();
}

INSTANTIATE_TEST_SUITE_P(, Http2, ::testing::Values(k_nginx, k_apache2),
                         [](const auto& param_info) { return param_info.param.name; });

} // namespace
} // namespace imgfetch
