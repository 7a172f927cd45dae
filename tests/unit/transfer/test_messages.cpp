// Messages a person can act on: where libcurl's own words mislead ("Out of memory" for a huge
// response header, "Couldn't connect to server" when it was the proxy that was down), the
// failure says what happened. The proxy cases set the proxy variables of this test process
// (each test runs in a process of its own under ctest) and restore them. The command line's
// message is tested in tests/e2e/test_messages.cpp.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/proxy_env.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/raw_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::list_dir;
using test::RawConnection;
using test::RawServer;
using test::TempDir;

// Sets (or unsets, for nullopt) an environment variable for one scope.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::optional<std::string>& value) : m_name(std::move(name)) {
        if (const char* old = std::getenv(m_name.c_str()); old != nullptr) {
            m_old = old;
        }
        if (value) {
            ::setenv(m_name.c_str(), value->c_str(), 1);
        } else {
            ::unsetenv(m_name.c_str());
        }
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name.c_str(), m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string m_name;
    std::optional<std::string> m_old;
};

// No proxy variable of the caller's environment leaks into a test.
class ProxyEnvironment : public ::testing::Test {
protected:
    ScopedEnv http_proxy{"http_proxy", std::nullopt};
    ScopedEnv https_proxy{"https_proxy", std::nullopt};
    ScopedEnv https_proxy_upper{"HTTPS_PROXY", std::nullopt};
    ScopedEnv all_proxy{"all_proxy", std::nullopt};
    ScopedEnv all_proxy_upper{"ALL_PROXY", std::nullopt};
    ScopedEnv no_proxy{"no_proxy", std::nullopt};
    ScopedEnv no_proxy_upper{"NO_PROXY", std::nullopt};
};

class Messages : public ProxyEnvironment, protected test::DownloadFixture {
protected:
    TransferResult fetch(const std::string& url) { return download(url, "x.png"); }
};

TEST_F(Messages, AResponseHeaderOverLibcurlsLimitIsSaidToBeTooLarge) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        connection.send("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nX-Padding: " +
                        std::string(200 * 1024, 'a') + "\r\nContent-Length: 4\r\n\r\nabcd");
        connection.hold();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "response header too large (libcurl accepts at most 100 KiB)");
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(Messages, ADownProxyFromTheEnvironmentIsNamedAsTheProxy) {
    const ScopedEnv proxy{"http_proxy", "http://127.0.0.1:1"}; // nothing listens on port 1

    const Attempt attempt = this->attempt("http://127.0.0.1:9/x.png");
    const TransferResult& result = attempt.result;

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "proxy http://127.0.0.1:1: connection refused");
    EXPECT_TRUE(attempt.retry.retryable) << "a proxy that is down may come back";
}

TEST_F(Messages, TheProxyNamedHidesItsPassword) {
    const ScopedEnv proxy{"all_proxy", "http://user:secret@127.0.0.1:1"};

    const TransferResult result = fetch("http://127.0.0.1:9/x.png");

    EXPECT_EQ(result.error.find("secret"), std::string::npos) << result.error;
    EXPECT_NE(result.error.find("proxy http://"), std::string::npos) << result.error;
    EXPECT_NE(result.error.find("127.0.0.1:1: connection refused"), std::string::npos)
        << result.error;
}

TEST_F(Messages, WithoutAProxyAConnectionFailureNamesNoProxy) {
    const ScopedEnv bypass{"no_proxy", "127.0.0.1"};
    const ScopedEnv proxy{"http_proxy", "http://127.0.0.1:1"};

    const TransferResult result = fetch("http://127.0.0.1:1/x.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error.find("proxy"), std::string::npos) << result.error;
    EXPECT_NE(result.error.find("connect"), std::string::npos) << result.error;
}

// Which proxy the environment names for a URL: libcurl's rules, checked case by case.
TEST_F(ProxyEnvironment, ChoosesTheSchemesVariableThenAllProxy) {
    EXPECT_EQ(proxy_from_environment("http://a.example/x"), std::nullopt);
    const ScopedEnv all{"ALL_PROXY", "http://all:1"};
    EXPECT_EQ(proxy_from_environment("http://a.example/x"), "http://all:1");
    const ScopedEnv https{"HTTPS_PROXY", "http://secure:2"};
    EXPECT_EQ(proxy_from_environment("https://a.example/x"), "http://secure:2");
    EXPECT_EQ(proxy_from_environment("http://a.example/x"), "http://all:1");
    const ScopedEnv http{"http_proxy", "http://plain:3"};
    EXPECT_EQ(proxy_from_environment("HTTP://a.example/x"), "http://plain:3");
}

TEST_F(ProxyEnvironment, NeverReadsUppercaseHttpProxy) {
    const ScopedEnv upper{"HTTP_PROXY", "http://cgi-set:1"};
    EXPECT_EQ(proxy_from_environment("http://a.example/x"), std::nullopt);
}

TEST_F(ProxyEnvironment, AnEmptyVariableCountsAsUnsetAsInLibcurl) {
    const ScopedEnv all{"all_proxy", "http://all:1"};
    const ScopedEnv http{"http_proxy", ""};
    EXPECT_EQ(proxy_from_environment("http://a.example/x"), "http://all:1");
    const ScopedEnv bypass_empty{"no_proxy", ""};
    const ScopedEnv bypass_upper{"NO_PROXY", "a.example"};
    EXPECT_EQ(proxy_from_environment("http://a.example/x"), std::nullopt);
}

TEST_F(Messages, AProxyWithoutASchemeHidesItsPasswordToo) {
    const ScopedEnv proxy{"all_proxy", "alice:s3cret@127.0.0.1:1"};

    const TransferResult result = fetch("http://127.0.0.1:9/x.png");

    EXPECT_EQ(result.error.find("s3cret"), std::string::npos) << result.error;
    EXPECT_EQ(result.error.find("alice"), std::string::npos) << result.error;
    EXPECT_NE(result.error.find("127.0.0.1:1: connection refused"), std::string::npos)
        << result.error;
}

TEST_F(ProxyEnvironment, NoProxyBypassesNamesSubdomainsAddressesAndRanges) {
    const ScopedEnv all{"all_proxy", "http://all:1"};
    const ScopedEnv bypass{"no_proxy", "example.com, .internal,10.0.0.0/8,[::1],127.0.0.1"};
    EXPECT_EQ(proxy_from_environment("http://example.com/x"), std::nullopt);
    EXPECT_EQ(proxy_from_environment("http://img.Example.COM/x"), std::nullopt);
    EXPECT_EQ(proxy_from_environment("http://host.internal/x"), std::nullopt);
    EXPECT_EQ(proxy_from_environment("http://10.1.2.3:8080/x"), std::nullopt);
    EXPECT_EQ(proxy_from_environment("http://[::1]:8080/x"), std::nullopt);
    EXPECT_EQ(proxy_from_environment("http://127.0.0.1/x"), std::nullopt);
    EXPECT_EQ(proxy_from_environment("http://notexample.com/x"), "http://all:1");
    EXPECT_EQ(proxy_from_environment("http://11.0.0.1/x"), "http://all:1");
    EXPECT_EQ(proxy_from_environment("http://127.0.0.2/x"), "http://all:1");
}

TEST_F(ProxyEnvironment, AStarInNoProxyBypassesEverything) {
    const ScopedEnv all{"all_proxy", "http://all:1"};
    const ScopedEnv bypass{"NO_PROXY", "*"};
    EXPECT_EQ(proxy_from_environment("http://anything.example/x"), std::nullopt);
}

} // namespace
} // namespace imgfetch
