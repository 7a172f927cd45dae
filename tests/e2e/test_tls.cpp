// https on the command line of the real executable, against a real in-process TLS server with a
// certificate made at test time: --cacert trusts a private CA, --insecure (-k) skips
// verification, a missing --cacert file is a usage error. The transfer itself is tested
// in-process in tests/unit/transfer/test_tls.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
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
using test::TlsTestServer;

// An https server for 127.0.0.1 whose certificate no system store trusts, serving /a.png.
class TlsCli : public ::testing::Test {
protected:
    void SetUp() override {
        tls.server().Get("/a.png", [this](const httplib::Request&, httplib::Response& res) {
            res.set_content(body, "image/png");
        });
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
};

TEST_F(TlsCli, CommandLineWithCacertDownloadsOverHttps) {
    const auto result = test::run_imgfetch(
        {list_of(tls.url("/a.png")), "--cacert", certificate.cert_path().string(), "-o", out()},
        temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(temp / "out" / "a.png"), body);
    EXPECT_TRUE(contains(result.err, "1 ok, 0 failed")) << result.err;
}

TEST_F(TlsCli, CommandLineWithoutCacertFailsWithACertificateErrorAndSavesNothing) {
    const auto result = test::run_imgfetch({list_of(tls.url("/a.png")), "-o", out()}, temp.path());

    EXPECT_EQ(result.exit_code, 1);
    EXPECT_TRUE(contains(result.err, "certificate")) << result.err;
    EXPECT_FALSE(contains(result.err, "retry")) << result.err;
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(TlsCli, CommandLineInsecureSkipsVerificationInBothSpellings) {
    for (const char* flag : {"--insecure", "-k"}) {
        const std::string out_dir = (temp / (std::string("out") + flag)).string();

        const auto result =
            test::run_imgfetch({list_of(tls.url("/a.png")), flag, "-o", out_dir}, temp.path());

        EXPECT_EQ(result.exit_code, 0) << flag << ": " << result.err;
        EXPECT_EQ(read_file(std::filesystem::path(out_dir) / "a.png"), body) << flag;
    }
}

TEST_F(TlsCli, CommandLineRefusesACacertFileThatDoesNotExist) {
    const auto result = test::run_imgfetch(
        {list_of(tls.url("/a.png")), "--cacert", (temp / "missing.pem").string(), "-o", out()},
        temp.path());

    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(contains(result.err, "missing.pem")) << result.err;
}

} // namespace
} // namespace imgfetch
