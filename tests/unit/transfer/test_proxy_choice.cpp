// --proxy and --noproxy over the environment: the one decision (proxy_for) that libcurl is
// given through CURLOPT_PROXY and CURLOPT_NOPROXY and that names the proxy in a connection
// error. This test process's proxy variables are set for one test and restored after.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/proxy_env.hpp"
#include "support/download_fixture.hpp"
#include "support/forward_proxy.hpp"

namespace imgfetch {
namespace {

using test::ScopedProxyEnvironment;
using Variables = std::map<std::string, std::string>;

TransferOptions with_flags(const std::string& proxy, std::optional<std::string> noproxy) {
    TransferOptions settings;
    settings.proxy = proxy;
    settings.noproxy = std::move(noproxy);
    return settings;
}

TEST(ProxyChoice, TheProxyFlagOverridesEveryProxyVariable) {
    const ScopedProxyEnvironment env({{"http_proxy", "http://env-http:1"},
                                      {"https_proxy", "http://env-https:2"},
                                      {"all_proxy", "http://env-all:3"}});
    const TransferOptions settings = with_flags("socks5h://flag:4", std::nullopt);

    EXPECT_EQ(proxy_for("http://a.example/x", settings), "socks5h://flag:4");
    EXPECT_EQ(proxy_for("https://a.example/x", settings), "socks5h://flag:4");
    EXPECT_EQ(proxy_for("http://a.example/x", TransferOptions{}), "http://env-http:1");
}

TEST(ProxyChoice, TheEnvironmentsNoProxyStillAppliesToTheFlagAsInCurl) {
    const ScopedProxyEnvironment env(Variables{{"no_proxy", "a.example"}});
    const TransferOptions settings = with_flags("http://flag:4", std::nullopt);

    EXPECT_EQ(proxy_for("http://a.example/x", settings), std::nullopt);
    EXPECT_EQ(proxy_for("http://b.example/x", settings), "http://flag:4");
}

TEST(ProxyChoice, TheNoProxyFlagOverridesTheEnvironmentsList) {
    const ScopedProxyEnvironment env(
        {{"http_proxy", "http://env-http:1"}, {"no_proxy", "a.example"}, {"NO_PROXY", "*"}});
    const TransferOptions settings = with_flags("", "b.example,10.0.0.0/8");

    EXPECT_EQ(proxy_for("http://a.example/x", settings), "http://env-http:1");
    EXPECT_EQ(proxy_for("http://img.b.example/x", settings), std::nullopt);
    EXPECT_EQ(proxy_for("http://10.9.8.7/x", settings), std::nullopt);
}

TEST(ProxyChoice, AnEmptyNoProxyFlagSendsEveryHostThroughTheProxy) {
    const ScopedProxyEnvironment env(Variables{{"no_proxy", "*"}});
    const TransferOptions settings = with_flags("http://flag:4", std::string());

    EXPECT_EQ(proxy_for("http://a.example/x", settings), "http://flag:4");
    EXPECT_EQ(proxy_for("http://a.example/x", with_flags("http://flag:4", std::nullopt)),
              std::nullopt);
}

TEST(ProxyChoice, TakesHttpHttpsAndSocks5UrlsOnly) {
    for (const char* url : {"http://p:3128", "HTTPS://p", "socks5://127.0.0.1:1080",
                            "socks5h://user:pw@p:1080", "http://[::1]:8080/"}) {
        EXPECT_TRUE(is_supported_proxy_url(url)) << url;
    }
    for (const char* url : {"p:3128", "ftp://p", "socks4://p:1080", "socks5://", "http://:80",
                            "http://user:pw@", ""}) {
        EXPECT_FALSE(is_supported_proxy_url(url)) << url;
    }
}

TEST(ProxyChoice, RedactsAProxysPasswordWithOrWithoutAScheme) {
    EXPECT_EQ(redact_proxy_credentials("http://alice:s3cret@p:1"), "http://***@p:1");
    EXPECT_EQ(redact_proxy_credentials("alice:s3cret@p:1"), "***@p:1");
    EXPECT_EQ(redact_proxy_credentials("socks5://p:1080"), "socks5://p:1080");
}

// The flag's proxy is the one a connection error names, its password hidden.
class ProxyFlagMessages : public ::testing::Test, protected test::DownloadFixture {};

TEST_F(ProxyFlagMessages, ADownProxyFromTheFlagIsNamedAndItsPasswordHidden) {
    const ScopedProxyEnvironment env(Variables{{"http_proxy", "http://127.0.0.1:2"}});
    settings.proxy = "http://alice:s3cret@127.0.0.1:1"; // nothing listens on port 1

    const TransferResult result = download("http://127.0.0.1:9/x.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "proxy http://***@127.0.0.1:1: connection refused");
}

} // namespace
} // namespace imgfetch
