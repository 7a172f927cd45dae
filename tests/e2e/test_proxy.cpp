// Proxies from the environment: imgfetch does not configure a proxy itself, and libcurl honours
// http_proxy for http URLs, https_proxy for https URLs (a CONNECT tunnel through the proxy, TLS
// end to end with the origin) and no_proxy / NO_PROXY to go direct. Every test runs against two
// real Debian proxies, squid and tinyproxy, each started on a free loopback port: the proxy's own
// log and the origin (an in-process server) are the witnesses, not imgfetch's word. Through the
// in-process download API (the environment set for one test, restored after) and through the
// real executable (the environment set for the child only).
//
// squid and tinyproxy are dependencies of the test suite (scripts/install-deps.sh --test): without
// one its tests fail, unless IMGFETCH_SKIP_SQUID_TESTS=1 or IMGFETCH_SKIP_TINYPROXY_TESTS=1 says
// to skip them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "imgfetch/app.hpp"
#include "support/child_process.hpp"
#include "support/forward_proxy.hpp"
#include "support/images.hpp"
#include "support/loopback_daemon.hpp"
#include "support/proxies_under_test.hpp"
#include "support/run_options.hpp"
#include "support/run_process.hpp"
#include "support/squid_proxy.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/tinyproxy_proxy.hpp"
#include "support/tls_fixture.hpp"

namespace imgfetch {
namespace {

using nlohmann::json;
using test::ForwardProxy;
using test::ProxyRequest;
using test::read_file;
using test::ScopedProxyEnvironment;
using test::SelfSignedCertificate;
using test::TempDir;

// One of the proxies every test runs against (support/proxies_under_test.hpp).
using test::k_squid;
using test::k_tinyproxy;
using test::ProxyUnderTest;

// What an origin server got: the path and the Via header ("" when there was none), which a
// proxy adds to the requests it forwards. Thread-safe: the server's threads record, the test
// thread reads.
class OriginLog {
public:
    struct Seen {
        std::string path;
        std::string via;
    };

    void record(const httplib::Request& request) {
        const std::lock_guard lock(m_mutex); // guards m_seen
        m_seen.push_back({request.path, request.get_header_value("Via")});
    }

    std::vector<Seen> seen() const {
        const std::lock_guard lock(m_mutex); // guards m_seen
        return m_seen;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<Seen> m_seen; // guarded by m_mutex, in arrival order
};

// A running proxy, an http origin and an https origin (a certificate made at test time, passed
// by --cacert), both serving the same few images and recording what they got.
class Proxy : public ::testing::TestWithParam<ProxyUnderTest> {
protected:
    void SetUp() override {
        const ProxyUnderTest& kind = GetParam();
        if (kind.skipped()) {
            GTEST_SKIP() << kind.skip_var << "=1";
        }
        const std::optional<std::string> executable = kind.executable();
        ASSERT_TRUE(executable) << kind.missing("its proxy tests");
        proxy = kind.start(*executable);

        for (std::size_t i = 0; i < 4; ++i) {
            const std::string name = std::to_string(i) + ".png";
            images[name] = test::fake_png(i, 3'000 + 20'000 * i);
        }
        images["marker.png"] = test::fake_png(99, 1'000); // the control request's
        serve_images(http.server(), http_log);
        serve_images(tls.server(), tls_log);
    }

    template <typename Server>
    void serve_images(Server& server, OriginLog& log) {
        for (const auto& [name, body] : images) {
            server.Get("/" + name, [&log, &body = body](const httplib::Request& request,
                                                        httplib::Response& response) {
                log.record(request);
                response.set_content(body, "image/png");
            });
        }
    }

    // The images but the marker, as NAME -> URL made by `url_of` from "/NAME".
    template <typename UrlOf>
    std::map<std::string, std::string> urls(UrlOf url_of) {
        std::map<std::string, std::string> result;
        for (const auto& [name, body] : images) {
            if (name != "marker.png") {
                result[name] = url_of("/" + name);
            }
        }
        return result;
    }
    std::map<std::string, std::string> http_urls() {
        return urls([this](const std::string& path) { return http.url(path); });
    }
    std::map<std::string, std::string> https_urls() {
        return urls([this](const std::string& path) { return tls.url(path); });
    }

    std::string list_of(const std::string& file,
                        const std::vector<std::map<std::string, std::string>>& url_sets) {
        std::string text;
        for (const auto& set : url_sets) {
            for (const auto& [name, url] : set) {
                text += url + "\n";
            }
        }
        test::write_file(temp / file, text);
        return (temp / file).string();
    }

    Options options_for(const std::string& list, const std::string& out) {
        Options options = test::run_options(list, temp.path(), out);
        options.transfer.cacert = certificate.cert_path().string();
        options.politeness.jobs = 2;
        options.transfer.connect_timeout_s = 5;
        return options;
    }

    // Each of `urls` saved in `out` under its name, byte for byte.
    void expect_saved_in(const std::string& out, const std::map<std::string, std::string>& urls) {
        for (const auto& [name, url] : urls) {
            EXPECT_EQ(read_file(temp / out / name), images[name]) << url << " not saved as sent";
        }
    }

    // Once the proxy has logged `count` requests, what it logged; fewer after the deadline.
    std::vector<ProxyRequest> proxy_requests_with(std::size_t count) {
        test::eventually([&] { return proxy->requests().size() >= count; });
        return proxy->requests();
    }

    // The control run: one download through the proxy, made after the run under test, and the
    // proxy's whole log once it shows. The proxy logs in order (squid as each request ends,
    // tinyproxy as each arrives), so any request of the run under test that went through it is
    // logged before this one: a log that is this request alone shows that none did.
    std::vector<ProxyRequest> proxy_log_after_a_control_request() {
        const ProxyRequest control{"GET", http.url("/marker.png")};
        {
            const ScopedProxyEnvironment env({{"http_proxy", proxy->url()}});
            test::write_file(temp / "control.txt", control.target + "\n");
            EXPECT_EQ(run(options_for((temp / "control.txt").string(), "control")), 0)
                << proxy->logs();
        }
        test::eventually([&] {
            const std::vector<ProxyRequest> requests = proxy->requests();
            return std::find(requests.begin(), requests.end(), control) != requests.end();
        });
        return proxy->requests();
    }

    // Whether the origin got each of `urls` exactly once, and with the Via header `via`
    // ("" for none) in each.
    void expect_origin_got_each_once(const OriginLog& log,
                                     const std::map<std::string, std::string>& urls,
                                     const std::function<void(const std::string& via)>& check_via) {
        std::map<std::string, int> count;
        for (const OriginLog::Seen& seen : log.seen()) {
            ++count[seen.path];
            check_via(seen.via);
        }
        for (const auto& [name, url] : urls) {
            EXPECT_EQ(count["/" + name], 1) << url;
        }
    }

    void expect_forwarded_by_the_proxy(const OriginLog& log,
                                       const std::map<std::string, std::string>& urls) {
        expect_origin_got_each_once(log, urls, [this](const std::string& via) {
            EXPECT_NE(via.find(proxy->name()), std::string::npos)
                << "Via: '" << via << "' does not name " << proxy->name();
        });
    }
    void expect_sent_direct(const OriginLog& log, const std::map<std::string, std::string>& urls) {
        expect_origin_got_each_once(log, urls, [](const std::string& via) {
            EXPECT_EQ(via, "") << "a request to the origin came through a proxy";
        });
    }

    // The proxy log has one GET for each of `urls` (its absolute URL), and a CONNECT to
    // 127.0.0.1:tls_port for each connection to the https origin: at least one, at most one
    // per URL of `tunnelled` and no GET for any of them (inside the tunnel the proxy sees
    // only TLS).
    void expect_proxy_log(const std::vector<ProxyRequest>& log,
                          const std::map<std::string, std::string>& forwarded,
                          const std::map<std::string, std::string>& tunnelled) {
        std::map<std::string, int> gets;
        std::size_t connects = 0;
        const std::string tls_authority = "127.0.0.1:" + std::to_string(tls.port());
        for (const ProxyRequest& request : log) {
            if (request.method == "GET") {
                ++gets[request.target];
            } else if (request == ProxyRequest{"CONNECT", tls_authority}) {
                ++connects;
            } else {
                ADD_FAILURE() << "unexpected request through the proxy: " << request;
            }
        }
        for (const auto& [name, url] : forwarded) {
            EXPECT_EQ(gets[url], 1) << url << " not through the proxy once:\n" << proxy->logs();
        }
        for (const auto& [name, url] : tunnelled) {
            EXPECT_EQ(gets[url], 0) << url << " forwarded in the clear";
        }
        if (!tunnelled.empty()) {
            EXPECT_GE(connects, 1U) << "no CONNECT " << tls_authority << ":\n" << proxy->logs();
            EXPECT_LE(connects, tunnelled.size()) << proxy->logs();
        }
    }

    void expect_report_all_ok(const std::filesystem::path& path, std::size_t count) {
        const json report = json::parse(read_file(path));
        ASSERT_EQ(report["files"].size(), count) << report.dump(2);
        for (const json& file : report["files"]) {
            EXPECT_EQ(file["status"], "ok") << file.dump();
        }
    }

    // What the servers' handlers use is declared before the servers, so it outlives their threads.
    std::map<std::string, std::string> images; // name -> body, as served by both origins
    OriginLog http_log;                        // what `http` got
    OriginLog tls_log;                         // what `tls` got
    TempDir temp;
    SelfSignedCertificate certificate = SelfSignedCertificate::for_loopback(temp.path());
    test::TestServer http;
    test::TlsTestServer tls{certificate};
    std::unique_ptr<ForwardProxy> proxy;
};

TEST_P(Proxy, HttpProxyFromTheEnvironmentCarriesEveryPlainHttpRequest) {
    const auto urls = http_urls();
    const std::string list = list_of("urls.txt", {urls});
    {
        const ScopedProxyEnvironment env({{"http_proxy", proxy->url()}});
        EXPECT_EQ(run(options_for(list, "out")), 0) << proxy->logs();
    }

    expect_saved_in("out", urls);
    expect_proxy_log(proxy_requests_with(urls.size()), urls, {});
    expect_forwarded_by_the_proxy(http_log, urls);
}

TEST_P(Proxy, HttpsProxyTunnelsHttpsThroughConnect) {
    const auto urls = https_urls();
    const std::string list = list_of("urls.txt", {urls});
    {
        const ScopedProxyEnvironment env({{"https_proxy", proxy->url()}});
        EXPECT_EQ(run(options_for(list, "out")), 0) << proxy->logs();
    }

    expect_saved_in("out", urls);
    expect_proxy_log(proxy_requests_with(1), {}, urls);
    // Through a tunnel the proxy cannot add a header: the origin sees the client's request.
    expect_sent_direct(tls_log, urls);
}

TEST_P(Proxy, NoProxyListsHostsThatBypassTheProxy) {
    const auto plain = http_urls();
    const auto secure = https_urls();
    const std::string list = list_of("urls.txt", {plain, secure});
    {
        const ScopedProxyEnvironment env({{"http_proxy", proxy->url()},
                                          {"https_proxy", proxy->url()},
                                          {"no_proxy", "localhost,127.0.0.1"}});
        EXPECT_EQ(run(options_for(list, "out")), 0) << proxy->logs();
    }

    expect_saved_in("out", plain);
    expect_saved_in("out", secure);
    expect_sent_direct(http_log, plain);
    expect_sent_direct(tls_log, secure);
    EXPECT_EQ(proxy_log_after_a_control_request(),
              (std::vector<ProxyRequest>{{"GET", http.url("/marker.png")}}));
}

TEST_P(Proxy, CommandLineTakesHttpAndHttpsProxiesFromItsEnvironment) {
    const auto plain = http_urls();
    const auto secure = https_urls();
    const std::string list = list_of("urls.txt", {plain, secure});
    test::ChildProcess::Setup setup;
    setup.environment =
        test::only_proxy_variables({{"http_proxy", proxy->url()}, {"https_proxy", proxy->url()}});

    const test::ProcessResult result =
        test::run_imgfetch({list, "-o", (temp / "out").string(), "-j", "4", "--cacert",
                            certificate.cert_path().string(), "--retries", "0", "--report",
                            (temp / "report.json").string()},
                           temp.path(), "/dev/null", setup);

    EXPECT_EQ(result.exit_code, 0) << result.err << proxy->logs();
    expect_report_all_ok(temp / "report.json", plain.size() + secure.size());
    expect_saved_in("out", plain);
    expect_saved_in("out", secure);
    // squid logs a tunnel when it closes, so wait for every GET and at least one CONNECT.
    test::eventually([&] {
        const auto log = proxy->requests();
        return std::count_if(
                   log.begin(), log.end(),
                   [](const ProxyRequest& request) { return request.method == "CONNECT"; }) >= 1 &&
               log.size() >= plain.size() + 1;
    });
    expect_proxy_log(proxy->requests(), plain, secure);
    expect_forwarded_by_the_proxy(http_log, plain);
}

TEST_P(Proxy, CommandLineGoesDirectToHostsInUpperCaseNoProxy) {
    const auto plain = http_urls();
    const auto secure = https_urls();
    const std::string list = list_of("urls.txt", {plain, secure});
    test::ChildProcess::Setup setup;
    setup.environment = test::only_proxy_variables(
        {{"http_proxy", proxy->url()}, {"https_proxy", proxy->url()}, {"NO_PROXY", "127.0.0.1"}});

    const test::ProcessResult result =
        test::run_imgfetch({list, "-o", (temp / "out").string(), "--cacert",
                            certificate.cert_path().string(), "--retries", "0"},
                           temp.path(), "/dev/null", setup);

    EXPECT_EQ(result.exit_code, 0) << result.err;
    expect_saved_in("out", plain);
    expect_saved_in("out", secure);
    expect_sent_direct(http_log, plain);
    expect_sent_direct(tls_log, secure);
    EXPECT_EQ(proxy_log_after_a_control_request(),
              (std::vector<ProxyRequest>{{"GET", http.url("/marker.png")}}));
}

INSTANTIATE_TEST_SUITE_P(, Proxy, ::testing::Values(k_squid, k_tinyproxy),
                         [](const auto& param_info) { return param_info.param.name; });

} // namespace
} // namespace imgfetch
