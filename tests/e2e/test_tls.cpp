// https against a real in-process TLS server with a certificate made at test time: verification
// on by default, --cacert to trust a private CA, --insecure to skip, redirects across schemes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/download.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/tls_fixture.hpp"
#include "support/transfer_settings.hpp"

namespace imgfetch {
namespace {

using test::fake_png;
using test::list_dir;
using test::read_file;
using test::SelfSignedCertificate;
using test::TempDir;
using test::TestServer;
using test::TlsTestServer;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// An https server for 127.0.0.1 whose certificate no system store trusts, serving /a.png.
class Tls : public ::testing::Test {
protected:
    void SetUp() override {
        tls.server().Get("/a.png", [this](const httplib::Request&, httplib::Response& res) {
            res.set_content(body, "image/png");
        });
    }

    TransferResult fetch(const std::string& url, const std::string& name) {
        const Task task{0, 1, url, name, false};
        const DownloadContext ctx{settings, dir, clock, {}, nullptr};
        return download_with_retries(session, task, ctx, 0);
    }

    std::string list_of(const std::string& url) {
        const auto path = temp / "urls.txt";
        test::write_file(path, url + "\n");
        return path.string();
    }

    std::string out() const { return (temp / "out").string(); }

    const std::string body = fake_png(42, 50'000);
    TempDir temp;
    SelfSignedCertificate certificate = SelfSignedCertificate::for_loopback(temp.path());
    TlsTestServer tls{certificate};
    TestServer http; // for redirects to https; starts only when a test uses it
    OutputDir dir{(temp / "out").string()};
    TransferOptions settings = test::plain_transfer();
    RunClock clock;
    // Last: destroyed first, so its keep-alive connections close before the servers stop
    // (httplib would otherwise wait out its 5 s keep-alive timeout).
    CurlSession session;
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

TEST_F(Tls, CommandLineWithCacertDownloadsOverHttps) {
    const auto result = test::run_imgfetch(
        {list_of(tls.url("/a.png")), "--cacert", certificate.cert_path().string(), "-o", out()},
        temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(temp / "out" / "a.png"), body);
    EXPECT_TRUE(contains(result.err, "1 ok, 0 failed")) << result.err;
}

TEST_F(Tls, CommandLineWithoutCacertFailsWithACertificateErrorAndSavesNothing) {
    const auto result = test::run_imgfetch({list_of(tls.url("/a.png")), "-o", out()}, temp.path());

    EXPECT_EQ(result.exit_code, 1);
    EXPECT_TRUE(contains(result.err, "certificate")) << result.err;
    EXPECT_FALSE(contains(result.err, "retry")) << result.err;
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(Tls, CommandLineInsecureSkipsVerificationInBothSpellings) {
    for (const char* flag : {"--insecure", "-k"}) {
        const std::string out_dir = (temp / (std::string("out") + flag)).string();

        const auto result =
            test::run_imgfetch({list_of(tls.url("/a.png")), flag, "-o", out_dir}, temp.path());

        EXPECT_EQ(result.exit_code, 0) << flag << ": " << result.err;
        EXPECT_EQ(read_file(std::filesystem::path(out_dir) / "a.png"), body) << flag;
    }
}

TEST_F(Tls, CommandLineRefusesACacertFileThatDoesNotExist) {
    const auto result = test::run_imgfetch(
        {list_of(tls.url("/a.png")), "--cacert", (temp / "missing.pem").string(), "-o", out()},
        temp.path());

    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(contains(result.err, "missing.pem")) << result.err;
}

} // namespace
} // namespace imgfetch
