// --proxy and --noproxy through the real executable, overriding the proxy environment: through
// real Debian proxies started on free loopback ports — squid and tinyproxy for http:// proxies
// (plain http forwarded, https tunnelled by CONNECT) and Dante's danted for socks5:// and
// socks5h:// — with the proxy's own log as the witness. A proxy's password never shows in any
// output. The environment's variables are set for the child process only.
//
// squid, tinyproxy and dante-server are dependencies of the test suite (scripts/install-deps.sh
// --test): without one its tests fail, unless IMGFETCH_SKIP_SQUID_TESTS=1,
// IMGFETCH_SKIP_TINYPROXY_TESTS=1 or IMGFETCH_SKIP_DANTED_TESTS=1 says to skip them.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/dante_proxy.hpp"
#include "support/forward_proxy.hpp"
#include "support/images.hpp"
#include "support/loopback_daemon.hpp"
#include "support/proxies_under_test.hpp"
#include "support/run_process.hpp"
#include "support/squid_proxy.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/tinyproxy_proxy.hpp"
#include "support/tls_fixture.hpp"

namespace imgfetch {
namespace {

using test::ForwardProxy;
using test::ProxyRequest;
using test::read_file;

using test::k_squid;
using test::k_tinyproxy;
using test::ProxyUnderTest;

const ProxyUnderTest k_danted{"danted", "IMGFETCH_DANTED", "IMGFETCH_SKIP_DANTED_TESTS",
                              test::start_danted};

// Nothing listens on port 1: a proxy there fails every request that goes to it.
constexpr const char* k_dead_proxy = "http://127.0.0.1:1";

// A running proxy and two origins, http and https (a certificate made at test time), each
// serving /a.png and /b.png.
class ProxyFlags : public ::testing::TestWithParam<ProxyUnderTest> {
protected:
    void SetUp() override {
        const ProxyUnderTest& kind = GetParam();
        if (kind.skipped()) {
            GTEST_SKIP() << kind.skip_var << "=1";
        }
        const std::optional<std::string> executable = kind.executable();
        ASSERT_TRUE(executable) << kind.missing("its proxy tests");
        proxy = kind.start(*executable);
        for (const char* name : {"/a.png", "/b.png"}) {
            http.server().Get(name, [this](const httplib::Request&, httplib::Response& res) {
                res.set_content(image, "image/png");
            });
            tls.server().Get(name, [this](const httplib::Request&, httplib::Response& res) {
                res.set_content(image, "image/png");
            });
        }
    }

    // The proxy's URL as --proxy takes it: http:// for squid and tinyproxy, socks5:// (or
    // `socks_scheme`) for danted.
    std::string proxy_url(const std::string& socks_scheme = "socks5") const {
        return proxy->name() == "danted" ? test::socks_url(*proxy, socks_scheme) : proxy->url();
    }

    std::string list_of(const std::vector<std::string>& urls) {
        std::string text;
        for (const std::string& url : urls) {
            text += url + "\n";
        }
        test::write_file(temp / "urls.txt", text);
        return (temp / "urls.txt").string();
    }

    test::ProcessResult run_with(const std::vector<std::string>& urls,
                                 const std::vector<std::string>& flags,
                                 const std::map<std::string, std::string>& environment) {
        std::vector<std::string> args{list_of(urls),
                                      "-o",
                                      (temp / "out").string(),
                                      "--cacert",
                                      certificate.cert_path().string(),
                                      "--retries",
                                      "0"};
        args.insert(args.end(), flags.begin(), flags.end());
        test::ChildProcess::Setup setup;
        setup.environment = test::only_proxy_variables(environment);
        return test::run_imgfetch(args, temp.path(), "/dev/null", setup);
    }

    // Once the proxy has logged at least `count` requests, what it logged.
    std::vector<ProxyRequest> proxy_log_with(std::size_t count) {
        test::eventually([&] { return proxy->requests().size() >= count; });
        return proxy->requests();
    }

    std::size_t count_of(const std::vector<ProxyRequest>& log, const ProxyRequest& request) {
        return static_cast<std::size_t>(std::count(log.begin(), log.end(), request));
    }

    void expect_saved(const std::vector<std::string>& names) {
        for (const std::string& name : names) {
            EXPECT_EQ(read_file(temp / "out" / name), image) << name;
        }
    }

    const std::string image = test::fake_png(6, 7'000);
    test::TempDir temp;
    test::SelfSignedCertificate certificate =
        test::SelfSignedCertificate::for_loopback(temp.path());
    test::TestServer http;
    test::TlsTestServer tls{certificate};
    std::unique_ptr<ForwardProxy> proxy;
};

std::string authority(int port) {
    return "127.0.0.1:" + std::to_string(port);
}

TEST_P(ProxyFlags, TheProxyFlagCarriesHttpAndHttpsOverTheEnvironmentsProxy) {
    const test::ProcessResult run =
        run_with({http.url("/a.png"), tls.url("/b.png")}, {"--proxy", proxy_url()},
                 {{"http_proxy", k_dead_proxy}, {"https_proxy", k_dead_proxy}});

    EXPECT_EQ(run.exit_code, 0) << run.err << proxy->logs();
    expect_saved({"a.png", "b.png"});
    const auto log = proxy_log_with(2);
    if (proxy->name() == "danted") { // SOCKS: a connection to each origin
        EXPECT_EQ(count_of(log, {"CONNECT", authority(http.port())}), 1U) << proxy->logs();
    } else { // an http proxy forwards plain http, tunnels https
        EXPECT_EQ(count_of(log, {"GET", http.url("/a.png")}), 1U) << proxy->logs();
    }
    EXPECT_EQ(count_of(log, {"CONNECT", authority(tls.port())}), 1U) << proxy->logs();
}

TEST_P(ProxyFlags, TheNoProxyFlagSendsItsHostsDirectOverTheEnvironmentsNoProxy) {
    const test::ProcessResult run = run_with(
        {http.url("/a.png"), tls.url("/b.png")}, {"--noproxy", "127.0.0.1"},
        {{"http_proxy", k_dead_proxy}, {"https_proxy", k_dead_proxy}, {"no_proxy", "example.com"}});

    EXPECT_EQ(run.exit_code, 0) << run.err;
    expect_saved({"a.png", "b.png"});
}

TEST_P(ProxyFlags, AnEmptyNoProxyFlagSendsEveryHostThroughTheProxy) {
    const test::ProcessResult run =
        run_with({http.url("/a.png")}, {"--proxy", proxy_url(), "--noproxy", ""},
                 {{"no_proxy", "*"}, {"NO_PROXY", "*"}});

    EXPECT_EQ(run.exit_code, 0) << run.err << proxy->logs();
    const auto log = proxy_log_with(1);
    EXPECT_EQ(log.size(), 1U) << proxy->logs();
}

TEST_P(ProxyFlags, ProxyFlagsComeFromTheEnvironmentToo) {
    const test::ProcessResult run = run_with(
        {http.url("/a.png")}, {}, {{"IMGFETCH_PROXY", proxy_url()}, {"http_proxy", k_dead_proxy}});

    EXPECT_EQ(run.exit_code, 0) << run.err << proxy->logs();
    expect_saved({"a.png"});
    EXPECT_EQ(proxy_log_with(1).size(), 1U) << proxy->logs();
}

INSTANTIATE_TEST_SUITE_P(, ProxyFlags, ::testing::Values(k_squid, k_tinyproxy, k_danted),
                         [](const auto& param_info) { return param_info.param.name; });

// socks5h://: the proxy resolves the host name; imgfetch never looks it up.
class SocksProxy : public ProxyFlags {};

TEST_P(SocksProxy, Socks5hHandsTheHostNameToTheProxy) {
    const std::string url = "http://localhost:" + std::to_string(http.port()) + "/a.png";

    const test::ProcessResult run = run_with({url}, {"--proxy", proxy_url("socks5h")}, {});

    EXPECT_EQ(run.exit_code, 0) << run.err << proxy->logs();
    expect_saved({"a.png"});
    EXPECT_EQ(proxy_log_with(1), (std::vector<ProxyRequest>{{"CONNECT", authority(http.port())}}))
        << proxy->logs();
}

INSTANTIATE_TEST_SUITE_P(, SocksProxy, ::testing::Values(k_danted),
                         [](const auto& param_info) { return param_info.param.name; });

// A proxy's password, from the flag or the environment, in no output at all.
class ProxyPassword : public ::testing::Test {
protected:
    test::TempDir temp;
};

TEST_F(ProxyPassword, NeverShowsInMessagesLogsReportOrFailedList) {
    test::write_file(temp / "urls.txt", "http://127.0.0.1:9/a.png\n");
    const std::string report = (temp / "report.json").string();
    const std::string failed = (temp / "failed.txt").string();
    const std::string log = (temp / "log.txt").string();

    const test::ProcessResult run =
        test::run_imgfetch({(temp / "urls.txt").string(), "-o", (temp / "out").string(), "-v",
                            "--retries", "0", "--proxy", "http://alice:pr0xy-s3cret@127.0.0.1:1",
                            "--report", report, "--failed-list", failed, "--log-file", log},
                           temp.path());

    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find("proxy http://***@127.0.0.1:1: connection refused"), std::string::npos)
        << run.err;
    for (const std::string& output :
         {run.out, run.err, read_file(report), read_file(failed), read_file(log)}) {
        EXPECT_EQ(output.find("pr0xy-s3cret"), std::string::npos) << output;
    }
}

TEST_F(ProxyPassword, ABadProxyUrlIsAUsageErrorThatHidesThePassword) {
    const test::ProcessResult flag =
        test::run_imgfetch({"-", "--proxy", "ftp://alice:pr0xy-s3cret@127.0.0.1:21"}, temp.path());
    test::ChildProcess::Setup setup;
    setup.environment["IMGFETCH_PROXY"] = "socks4://alice:pr0xy-s3cret@127.0.0.1:1080";
    const test::ProcessResult env = test::run_imgfetch({"-"}, temp.path(), "/dev/null", setup);

    for (const test::ProcessResult& run : {flag, env}) {
        EXPECT_EQ(run.exit_code, 2) << run.err;
        EXPECT_NE(run.err.find("--proxy"), std::string::npos) << run.err;
        EXPECT_NE(run.err.find("socks5h://"), std::string::npos) << run.err;
        EXPECT_EQ(run.err.find("pr0xy-s3cret"), std::string::npos) << run.err;
    }
}

} // namespace
} // namespace imgfetch
