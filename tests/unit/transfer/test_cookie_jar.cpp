// --cookies and --save-cookies in process: a Netscape cookies.txt loaded into the jar every
// session of a run shares opens a cookie-gated route, each cookie goes only to its own host (two
// loopback addresses, also across a redirect), and the jar is written back as a cookies.txt,
// mode 0600, that loads again. The command line's side is in tests/e2e/test_cookie_files.cpp.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <mutex>
#include <string>
#include <vector>

#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/cookie_jar.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/curl_share.hpp"
#include "imgfetch/transfer/download.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::read_file;
using test::write_file;

constexpr const char* k_secret = "s3cr3t-cookie-value";

// The Cookie header of every request a server got, in arrival order. Thread-safe: the
// servers' threads record, the test thread reads.
class CookiesSeen {
public:
    void record(const httplib::Request& request) {
        const std::lock_guard lock(m_mutex); // guards m_headers
        m_headers.push_back(request.get_header_value("Cookie"));
    }
    std::vector<std::string> headers() const {
        const std::lock_guard lock(m_mutex); // guards m_headers
        return m_headers;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<std::string> m_headers; // guarded by m_mutex
};

// Two hosts: 127.0.0.1 serves /gate.png only to the cookie session=k_secret (403 without),
// /hop.png redirects to 127.0.0.2's /seen.png, and /set.png sets two cookies; 127.0.0.2 records
// the cookies it gets. Declared before DownloadFixture: the servers outlive its connections.
struct TwoHosts {
    const std::string image = test::fake_png(5, 4'000);
    CookiesSeen first_seen;
    CookiesSeen second_seen;
    test::TestServer first{"127.0.0.1"};
    test::TestServer second{"127.0.0.2"};
};

class CookieFile : public ::testing::Test, protected TwoHosts, protected test::DownloadFixture {
protected:
    void SetUp() override {
        first.server().Get(
            "/gate.png", [this](const httplib::Request& request, httplib::Response& response) {
                first_seen.record(request);
                if (request.get_header_value("Cookie").find(std::string("session=") + k_secret) ==
                    std::string::npos) {
                    response.status = 403;
                    return;
                }
                response.set_content(image, "image/png");
            });
        first.server().Get("/hop.png",
                           [this](const httplib::Request& request, httplib::Response& response) {
                               first_seen.record(request);
                               response.set_redirect(second.url("/seen.png"), 302);
                           });
        first.server().Get(
            "/set.png", [this](const httplib::Request&, httplib::Response& response) {
                response.set_header("Set-Cookie", "token=from-the-server; Path=/");
                response.headers.emplace("Set-Cookie", "hidden=http-only; Path=/; HttpOnly");
                response.set_content(image, "image/png");
            });
        second.server().Get("/seen.png",
                            [this](const httplib::Request& request, httplib::Response& response) {
                                second_seen.record(request);
                                response.set_content(image, "image/png");
                            });
        second.start();
    }

    // `lines` as a cookies.txt in the temporary directory, private to its owner.
    std::string cookies_txt(const std::string& lines, const std::string& name = "cookies.txt") {
        const auto path = temp / name;
        write_file(path, "# Netscape HTTP Cookie File\n" + lines);
        std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_write);
        return path.string();
    }

    TransferResult fetch(CurlShare& jar, const std::string& url) {
        CurlSession with(&jar);
        return download_link(with, Task{0, 1, url, "x.png", false}, context(), 0).result;
    }

    CurlShare share;
};

std::string cookie_line(const std::string& domain, const std::string& name,
                        const std::string& value) {
    return domain + "\tFALSE\t/\tFALSE\t0\t" + name + "\t" + value + "\n";
}

TEST_F(CookieFile, WithoutTheFileTheGatedRouteRefuses) {
    const TransferResult result = fetch(share, first.url("/gate.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.http_status, 403);
}

TEST_F(CookieFile, ACookieFromTheFileOpensTheGatedRoute) {
    EXPECT_EQ(load_cookies(share, cookies_txt(cookie_line("127.0.0.1", "session", k_secret))), 1U);

    const TransferResult result = fetch(share, first.url("/gate.png"));

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "x.png"), image);
}

TEST_F(CookieFile, AnHttpOnlyLineIsACookieAndCommentsBlanksAndBadLinesAreNot) {
    const std::string lines = "# a comment\n\n   \n" + std::string("not a cookie line\n") +
                              "#HttpOnly_" + cookie_line("127.0.0.1", "session", k_secret);
    EXPECT_EQ(load_cookies(share, cookies_txt(lines)), 1U);

    const TransferResult result = fetch(share, first.url("/gate.png"));

    ASSERT_EQ(result.status, Status::ok) << result.error;
}

TEST_F(CookieFile, ACookieForOneHostIsNotSentToAnother) {
    load_cookies(share, cookies_txt(cookie_line("127.0.0.2", "session", k_secret)));

    EXPECT_EQ(fetch(share, first.url("/gate.png")).http_status, 403);
    ASSERT_EQ(fetch(share, second.url("/seen.png")).status, Status::ok);

    EXPECT_EQ(first_seen.headers(), std::vector<std::string>{""});
    EXPECT_EQ(second_seen.headers(), std::vector<std::string>{std::string("session=") + k_secret})
        << "the control: the second host does get its own cookie";
}

TEST_F(CookieFile, ACookieForTheFirstHostDoesNotFollowARedirectToTheSecond) {
    load_cookies(share, cookies_txt(cookie_line("127.0.0.1", "session", k_secret)));

    const TransferResult result = fetch(share, first.url("/hop.png"));

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(first_seen.headers(), std::vector<std::string>{std::string("session=") + k_secret});
    EXPECT_EQ(second_seen.headers(), std::vector<std::string>{""});
}

TEST_F(CookieFile, AMissingFileIsASetupErrorNamingIt) {
    const std::string path = (temp / "no-such-cookies.txt").string();
    try {
        load_cookies(share, path);
        FAIL() << "no SetupError";
    } catch (const SetupError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot read cookies file '" + path + "': No such file or directory");
    }
}

TEST_F(CookieFile, SavedJarHoldsTheServersCookiesPrivatelyAndLoadsAgain) {
    load_cookies(share, cookies_txt(cookie_line("127.0.0.1", "session", k_secret)));
    ASSERT_EQ(fetch(share, first.url("/set.png")).status, Status::ok);
    const auto saved = temp / "saved.txt";

    save_cookies(share, saved.string());

    struct stat info {};
    ASSERT_EQ(::stat(saved.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);
    const std::string text = read_file(saved);
    EXPECT_EQ(text.rfind("# Netscape HTTP Cookie File\n", 0), 0U) << text;
    EXPECT_NE(text.find(cookie_line("127.0.0.1", "token", "from-the-server")), std::string::npos)
        << text;
    EXPECT_NE(text.find("#HttpOnly_" + cookie_line("127.0.0.1", "hidden", "http-only")),
              std::string::npos)
        << text;
    EXPECT_NE(text.find(cookie_line("127.0.0.1", "session", k_secret)), std::string::npos) << text;
    CurlShare again;
    EXPECT_EQ(load_cookies(again, saved.string()), 3U);
    EXPECT_EQ(fetch(again, first.url("/gate.png")).status, Status::ok);
}

} // namespace
} // namespace imgfetch
