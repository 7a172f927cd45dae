// Content-Encoding: imgfetch asks for every encoding its libcurl decodes and saves the decoded
// image. A server that sends an image gzipped whatever the request said (nginx `gzip_static
// always`, objects stored gzipped on S3 or a CDN) must not leave gzip bytes under "logo.png".
// The image check, --max-size, --checksum and the report's `bytes` all see decoded bytes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <optional>
#include <string>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/download.hpp"
#include "support/encodings.hpp"
#include "support/images.hpp"
#include "support/nginx_server.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/tls_fixture.hpp"

namespace imgfetch {
namespace {

using nlohmann::json;
using test::fake_png;
using test::list_dir;
using test::read_file;
using test::TempDir;
using test::TestServer;

std::string sha256_hex(const std::string& data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < size; ++i) {
        hex += k_hex[digest[i] >> 4];
        hex += k_hex[digest[i] & 0xF];
    }
    return hex;
}

// A PNG whose tail compresses well, so an encoded body is clearly not the image itself.
std::string compressible_png(std::size_t size) {
    std::string image = fake_png(7, 4096);
    image.resize(size, 'A');
    return image;
}

struct Encoding {
    const char* name;
    std::string (*encode)(std::string_view);
};

class ContentEncoding : public ::testing::TestWithParam<Encoding> {
protected:
    TransferResult fetch(const std::string& path, const std::string& name) {
        Task task{0, 1, server.url(path), name, false};
        const DownloadContext ctx{settings, dir, clock, {}, nullptr};
        return download_link(session, task, ctx, 0).result;
    }

    // Serves `image` at `path` encoded with `encoding`, as a server of stored objects does:
    // whatever the request's Accept-Encoding said.
    void serve_encoded(const std::string& path, const std::string& image,
                       const Encoding& encoding) {
        encoded_body = encoding.encode(image);
        server.server().Get(
            path, [this, encoding](const httplib::Request& request, httplib::Response& response) {
                accept_encoding = request.get_header_value("Accept-Encoding");
                response.set_header("Content-Encoding", encoding.name);
                response.set_content(encoded_body, "image/png");
            });
    }

    TestServer server;
    TempDir temp;
    OutputDir dir{(temp / "out").string()};
    DownloadSettings settings;
    RunClock clock;
    CurlSession session;
    std::string encoded_body;
    std::string accept_encoding; // as the last request sent it
};

TEST_P(ContentEncoding, SavesTheDecodedImageAndCountsItsDecodedBytes) {
    const std::string image = compressible_png(200'000);
    serve_encoded("/logo.png", image, GetParam());
    ASSERT_LT(encoded_body.size(), image.size() / 4) << "the encoded body is not the image";
    settings.checksum_sha256 = true;

    const TransferResult result = fetch("/logo.png", "logo.png");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "logo.png"), image);
    EXPECT_EQ(result.bytes, image.size()) << "bytes counts the saved, decoded file";
    EXPECT_EQ(result.sha256, sha256_hex(image)) << "the checksum is of the decoded file";
    EXPECT_NE(accept_encoding.find(GetParam().name), std::string::npos)
        << "Accept-Encoding: " << accept_encoding;
}

TEST_P(ContentEncoding, MaxSizeAppliesToTheDecodedBytes) {
    const std::string image = compressible_png(3'000'000);
    serve_encoded("/big.png", image, GetParam());
    ASSERT_LT(encoded_body.size(), 100'000U);
    settings.max_size = 1'000'000; // the encoded body fits, the image does not

    const TransferResult result = fetch("/big.png", "big.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "larger than --max-size (1000000 bytes)");
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_P(ContentEncoding, AnEncodedBodyLongerThanTheLimitIsNotRefusedForItsLength) {
    // Random bytes grow a little when encoded: Content-Length is over the limit, the image not.
    const std::string image = fake_png(9, 100'000);
    serve_encoded("/noise.png", image, GetParam());
    ASSERT_GT(encoded_body.size(), image.size());
    settings.max_size = image.size();

    const TransferResult result = fetch("/noise.png", "noise.png");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "noise.png"), image);
}

INSTANTIATE_TEST_SUITE_P(EveryEncodingLibcurlDecodes, ContentEncoding,
                         ::testing::Values(Encoding{"gzip", &test::gzip_encode},
                                           Encoding{"deflate", &test::deflate_encode},
                                           Encoding{"br", &test::brotli_encode},
                                           Encoding{"zstd", &test::zstd_encode}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ContentEncodingUnknown, FailsWithTheReasonAndSavesNothing) {
    TestServer server;
    server.server().Get("/x.png", [](const httplib::Request&, httplib::Response& response) {
        response.set_header("Content-Encoding", "x-scrambled");
        response.set_content(fake_png(1, 5000), "image/png");
    });
    TempDir temp;
    const OutputDir dir{(temp / "out").string()};
    const DownloadSettings settings;
    const RunClock clock;
    CurlSession session;
    const DownloadContext ctx{settings, dir, clock, {}, nullptr};

    const TransferResult result =
        download_link(session, Task{0, 1, server.url("/x.png"), "x.png", false}, ctx, 0).result;

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_NE(result.error.find("x-scrambled"), std::string::npos) << result.error;
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST(ContentEncodingCorrupt, CorruptGzipIsSaidToBeUndecodableNotUnsupported) {
    TestServer server;
    server.server().Get("/x.png", [](const httplib::Request&, httplib::Response& response) {
        // A gzip header, then a deflate block of the reserved type 3: "invalid block type".
        std::string broken = test::gzip_encode(compressible_png(50'000)).substr(0, 10);
        broken += std::string(64, '\xff');
        response.set_header("Content-Encoding", "gzip");
        response.set_content(broken, "image/png");
    });
    TempDir temp;
    const OutputDir dir{(temp / "out").string()};
    const DownloadSettings settings;
    const RunClock clock;
    CurlSession session;
    const DownloadContext ctx{settings, dir, clock, {}, nullptr};

    const TransferResult result =
        download_link(session, Task{0, 1, server.url("/x.png"), "x.png", false}, ctx, 0).result;

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error.rfind("cannot decode Content-Encoding 'gzip'", 0), 0U) << result.error;
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST(ContentEncodingHeaders, ALaterIdentityHeaderDoesNotHideTheEncodingFromTheSizeLimit) {
    const std::string image = fake_png(11, 100'000); // random: its gzip is a little longer
    const std::string gzipped = test::gzip_encode(image);
    ASSERT_GT(gzipped.size(), image.size());
    TestServer server;
    server.server().Get("/x.png", [&](const httplib::Request&, httplib::Response& response) {
        response.set_header("Content-Encoding", "GZIP");
        response.set_header("Content-Encoding", "Identity");
        response.set_content(gzipped, "image/png");
    });
    TempDir temp;
    const OutputDir dir{(temp / "out").string()};
    DownloadSettings settings;
    settings.max_size = image.size();
    const RunClock clock;
    CurlSession session;
    const DownloadContext ctx{settings, dir, clock, {}, nullptr};

    const TransferResult result =
        download_link(session, Task{0, 1, server.url("/x.png"), "x.png", false}, ctx, 0).result;

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "x.png"), image);
}

// The command line: the report's bytes is the decoded size, the file the decoded image.
TEST(ContentEncodingCommandLine, ReportsTheDecodedSizeOfAGzippedImage) {
    const std::string image = compressible_png(50'000);
    const std::string gzipped = test::gzip_encode(image);
    TestServer server;
    server.server().Get("/a.png", [&](const httplib::Request&, httplib::Response& response) {
        response.set_header("Content-Encoding", "gzip");
        response.set_content(gzipped, "image/png");
    });
    TempDir temp;
    test::write_file(temp / "list.txt", server.url("/a.png") + "\n");

    const test::ProcessResult run =
        test::run_imgfetch({(temp / "list.txt").string(), "-o", (temp / "out").string(), "--report",
                            (temp / "report.json").string(), "--no-progress"},
                           temp.path());

    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(read_file(temp / "out" / "a.png"), image);
    const json report = json::parse(read_file(temp / "report.json"));
    EXPECT_EQ(report["files"][0]["bytes"], image.size());
}

bool nginx_tests_skipped() {
    const char* skip = std::getenv("IMGFETCH_SKIP_NGINX_TESTS");
    return skip != nullptr && std::string(skip) == "1";
}

// nginx with `gzip_static always` under /gz/: it sends logo.png.gz, encoded, for /gz/logo.png,
// over HTTP/2 (https) and HTTP/1.1 (http), whatever the request asked for.
class GzipStaticAlways : public ::testing::Test {
protected:
    void SetUp() override {
        if (nginx_tests_skipped()) {
            GTEST_SKIP() << "IMGFETCH_SKIP_NGINX_TESTS=1";
        }
        const std::optional<std::string> executable = test::NginxServer::find_executable();
        ASSERT_TRUE(executable) << "no nginx found: run scripts/install-deps.sh --test, or set "
                                   "IMGFETCH_SKIP_NGINX_TESTS=1 to skip the nginx tests";
        nginx.emplace(*executable, certificate);
        std::filesystem::create_directories(nginx->docroot() / "gz");
        test::write_file(nginx->docroot() / "gz" / "logo.png.gz", test::gzip_encode(image));
    }

    void expect_decoded_over(const std::string& url, const std::string& version) {
        test::write_file(temp / "list.txt", url + "\n");
        const test::ProcessResult run = test::run_imgfetch(
            {(temp / "list.txt").string(), "-o", (temp / "out").string(), "--report",
             (temp / "report.json").string(), "--cacert", certificate.cert_path().string(),
             "--no-progress", "--retries", "0"},
            temp.path());
        ASSERT_EQ(run.exit_code, 0) << run.err;
        EXPECT_EQ(read_file(temp / "out" / "logo.png"), image);
        const json report = json::parse(read_file(temp / "report.json"));
        EXPECT_EQ(report["files"][0]["bytes"], image.size());
        EXPECT_EQ(report["files"][0]["http_version"], version);
    }

    const std::string image = compressible_png(80'000);
    TempDir temp;
    test::SelfSignedCertificate certificate =
        test::SelfSignedCertificate::for_loopback(temp.path());
    std::optional<test::NginxServer> nginx;
};

TEST_F(GzipStaticAlways, Http2OverHttpsSavesTheDecodedImage) {
    expect_decoded_over(nginx->https_url("/gz/logo.png"), "2");
}

TEST_F(GzipStaticAlways, Http11SavesTheDecodedImage) {
    expect_decoded_over(nginx->http_url("/gz/logo.png"), "1.1");
}

} // namespace
} // namespace imgfetch
