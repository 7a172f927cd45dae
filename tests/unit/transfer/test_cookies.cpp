// The in-memory cookie engine: a server that sets a cookie and redirects to the same URL
// until the cookie comes back (CDN and anti-bot checks) is passed, within one session and
// across the sessions of a run, which share one jar. Nothing is written to disk.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/curl_share.hpp"
#include "imgfetch/transfer/download.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::list_dir;
using test::read_file;
using test::TempDir;
using test::TestServer;

// Every path under /img/ answers a request without the cookie "pass=ok" with a 302 back to
// itself that sets the cookie, and a request with it with the image.
// The server and what its routes use, in a base before DownloadFixture: the session's
// connections close before the server stops, and the server stops before its routes' state goes.
struct CookieServer {
    const std::string image = test::fake_png(3, 10'000);
    std::atomic<int> cookies_set{0}; // written by server threads
    TestServer server;
};

class CookieCheck : public ::testing::Test,
                    protected CookieServer,
                    protected test::DownloadFixture {
protected:
    void SetUp() override {
        server.server().Get(R"(/img/(\w+)\.png)", [this](const httplib::Request& request,
                                                         httplib::Response& response) {
            if (request.get_header_value("Cookie").find("pass=ok") == std::string::npos) {
                cookies_set.fetch_add(1);
                response.set_header("Set-Cookie", "pass=ok; Path=/");
                response.set_redirect(request.path, 302);
                return;
            }
            response.set_content(image, "image/png");
        });
    }

    TransferResult fetch(CurlSession& with, const std::string& name) {
        const std::string file = name + ".png";
        return download_link(with, Task{0, 1, server.url("/img/" + file), file, false}, context(),
                             0)
            .result;
    }
};

TEST_F(CookieCheck, ACookieSetWithARedirectIsSentBackAndTheImageArrives) {
    const TransferResult result = fetch(session, "a");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "a.png"), image);
    EXPECT_EQ(cookies_set.load(), 1);
}

TEST_F(CookieCheck, SessionsOfOneShareShareTheJar) {
    CurlShare share;
    CurlSession first(&share);
    CurlSession second(&share);

    ASSERT_EQ(fetch(first, "a").status, Status::ok);
    const TransferResult result = fetch(second, "b");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(cookies_set.load(), 1) << "the second session had the first one's cookie";
}

TEST_F(CookieCheck, TheCommandLinePassesWithManyWorkersAndWritesNoCookieFile) {
    std::string list;
    for (int i = 0; i < 24; ++i) {
        list += server.url("/img/i" + std::to_string(i) + ".png") + "\n";
    }
    test::write_file(temp / "list.txt", list);

    const test::ProcessResult run =
        test::run_imgfetch({(temp / "list.txt").string(), "-o", (temp / "cli").string(), "-j", "4",
                            "--retries", "0", "--no-progress"},
                           temp.path());

    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(read_file(temp / "cli" / "i0.png"), image);
    EXPECT_EQ(list_dir(temp / "cli").size(), 24U) << "no cookie file beside the images";
    EXPECT_LE(cookies_set.load(), 4) << "at most one check per worker, then the shared jar";
}

} // namespace
} // namespace imgfetch
