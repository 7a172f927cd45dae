// https through download_with_retries against a real in-process TLS server with a certificate
// made at test time: verification on by default, a private CA trusted by cacert, insecure to
// skip, redirects across schemes. The command line's --cacert and --insecure are tested in
// tests/e2e/test_tls.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "imgfetch/transfer/download.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"
#include "support/tls_fixture.hpp"

namespace imgfetch {
namespace {

using test::contains;
using test::fake_png;
using test::list_dir;
using test::read_file;
using test::SelfSignedCertificate;
using test::TempDir;
using test::TestServer;
using test::TlsTestServer;

// The servers and what their routes use, in a base before DownloadFixture: destroyed after it,
// so the session's keep-alive connections close before the servers stop (httplib would
// otherwise wait out its 5 s keep-alive timeout).
struct TlsServers {
    const std::string body = fake_png(42, 50'000);
    TempDir certificate_dir;
    SelfSignedCertificate certificate = SelfSignedCertificate::for_loopback(certificate_dir.path());
    TlsTestServer tls{certificate};
    TestServer http; // for redirects to https; starts only when a test uses it
};

// An https server for 127.0.0.1 whose certificate no system store trusts, serving /a.png.
class Tls : public ::testing::Test, protected TlsServers, protected test::DownloadFixture {
protected:
    void SetUp() override {
        tls.server().Get("/a.png", [this](const httplib::Request&, httplib::Response& res) {
            res.set_content(body, "image/png");
        });
    }

    TransferResult fetch(const std::string& url, const std::string& name) {
        return download_retrying(Task{0, 1, url, name, false});
    }
};

TEST_F(Tls, DownloadVerifiedWithTheGivenCaSavesTheBodyByteForByte) {
    settings.cacert = certificate.cert_path().string();

    const TransferResult result = fetch(tls.url("/a.png"), "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(result.bytes, body.size());
    EXPECT_EQ(read_file(temp / "out" / "a.png"), body);
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"a.png"});
}

TEST_F(Tls, AnUntrustedCertificateFailsByDefaultWithACertificateErrorAndSavesNothing) {
    settings.retries = 3; // a verification failure is not transient

    const TransferResult result = fetch(tls.url("/a.png"), "a.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "certificate")) << result.error;
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_FALSE(result.http_status.has_value());
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(Tls, InsecureSkipsVerification) {
    settings.insecure = true;

    const TransferResult result = fetch(tls.url("/a.png"), "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "a.png"), body);
}

TEST_F(Tls, ATrustedCertificateForAnotherHostIsStillRefused) {
    TempDir other_dir;
    const SelfSignedCertificate other(other_dir.path(), "other.example", "DNS:other.example");
    TlsTestServer other_server(other);
    other_server.server().Get("/a.png", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "image/png");
    });
    settings.cacert = other.cert_path().string();

    const TransferResult result = fetch(other_server.url("/a.png"), "a.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "certificate")) << result.error;
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(Tls, ARedirectFromHttpToHttpsIsFollowedAndKeepsTheListedName) {
    const std::string target = tls.url("/a.png");
    http.server().Get("/to-tls.png", [target](const httplib::Request&, httplib::Response& res) {
        res.set_redirect(target);
    });
    settings.cacert = certificate.cert_path().string();

    const TransferResult result = fetch(http.url("/to-tls.png"), "to-tls.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"to-tls.png"});
    EXPECT_EQ(read_file(temp / "out" / "to-tls.png"), body);
}

TEST_F(Tls, ARedirectFromHttpsToANonHttpSchemeFails) {
    const std::vector<std::string> targets{"ftp://127.0.0.1/x.png", "file:///etc/passwd",
                                           "gopher://127.0.0.1/x"};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        tls.server().Get("/bounce" + std::to_string(i),
                         [target = targets[i]](const httplib::Request&, httplib::Response& res) {
                             res.set_redirect(target);
                         });
    }
    settings.cacert = certificate.cert_path().string();

    for (std::size_t i = 0; i < targets.size(); ++i) {
        const TransferResult result = fetch(tls.url("/bounce" + std::to_string(i)), "bounce.png");
        EXPECT_EQ(result.status, Status::failed) << targets[i];
        EXPECT_EQ(result.http_status, 302) << targets[i];
        EXPECT_TRUE(contains(result.error, "not supported")) << result.error;
    }
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

} // namespace
} // namespace imgfetch
