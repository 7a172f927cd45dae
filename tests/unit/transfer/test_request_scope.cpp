// Where the user's request details go (transfer/redirect_follow.hpp): --header, a list line's
// headers, the Referer and credentials reach the listed URL's host, and that host again after a
// redirect, but never another host a redirect leads to. Two real loopback hosts: 127.0.0.1 (the
// listed one) and 127.0.0.2, each an in-process server that records what it was sent.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/transfer/download.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::TestServer;

// The request headers one server received, in arrival order. Written by the server's threads,
// read by the test thread after the download returned: one mutex guards `m_requests`.
class SeenHeaders {
public:
    void record(const httplib::Request& request) {
        const std::lock_guard lock(m_mutex); // guards m_requests
        m_requests.push_back(request.headers);
    }
    // The value of `name` in the last request, "" when that request had none (or none came).
    std::string last(const std::string& name) const {
        const std::lock_guard lock(m_mutex); // guards m_requests
        if (m_requests.empty()) {
            return "";
        }
        const auto found = m_requests.back().find(name);
        return found == m_requests.back().end() ? "" : found->second;
    }
    bool last_has(const std::string& name) const {
        const std::lock_guard lock(m_mutex); // guards m_requests
        return !m_requests.empty() && m_requests.back().count(name) > 0;
    }
    std::size_t count() const {
        const std::lock_guard lock(m_mutex); // guards m_requests
        return m_requests.size();
    }

private:
    mutable std::mutex m_mutex;
    std::vector<httplib::Headers> m_requests; // guarded by m_mutex
};

// The servers and what their routes use, in a base before DownloadFixture (see there).
struct TwoHosts {
    const std::string image = test::fake_png(7, 4000);
    SeenHeaders at_listed; // every request to `listed`
    SeenHeaders at_other;  // every request to `other`
    TestServer listed{"127.0.0.1"};
    TestServer other{"127.0.0.2"};
};

class RequestScope : public ::testing::Test, protected TwoHosts, protected test::DownloadFixture {
protected:
    void SetUp() override {
        const auto serve_image = [this](SeenHeaders& seen) {
            return [this, &seen](const httplib::Request& request, httplib::Response& response) {
                seen.record(request);
                response.set_content(image, "image/png");
            };
        };
        listed.server().Get("/img.png", serve_image(at_listed));
        other.server().Get("/img.png", serve_image(at_other));
        listed.server().Get("/same-host",
                            [this](const httplib::Request& request, httplib::Response& response) {
                                at_listed.record(request);
                                response.set_redirect("/img.png", 302);
                            });
        // The other server's URL is only known once it listens: start it now.
        const std::string away = other.url("/img.png");
        listed.server().Get(
            "/away", [this, away](const httplib::Request& request, httplib::Response& response) {
                at_listed.record(request);
                response.set_redirect(away, 302);
            });
    }

    // Every request detail the user can give, sent with a fetch of `path` on the listed host.
    void ask_for_everything() {
        settings.headers = {"X-Token: token-value", "Cookie: session=cookie-value"};
        settings.referer = "origin";
        settings.user = "user:pass";
        settings.user_agent = "Mozilla/5.0 (imgfetch test)";
    }

    TransferResult fetch(const std::string& path) {
        return download(Task{0, 1, listed.url(path), "x.png", false});
    }
};

TEST_F(RequestScope, TheListedHostGetsTheHeadersRefererCredentialsAndUserAgent) {
    ask_for_everything();

    const TransferResult result = fetch("/img.png");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(at_listed.last("X-Token"), "token-value");
    EXPECT_EQ(at_listed.last("Cookie"), "session=cookie-value");
    EXPECT_EQ(at_listed.last("Referer"), listed.url("/"));
    EXPECT_EQ(at_listed.last("Authorization"), "Basic dXNlcjpwYXNz"); // user:pass
    EXPECT_EQ(at_listed.last("User-Agent"), "Mozilla/5.0 (imgfetch test)");
}

TEST_F(RequestScope, ARedirectOnTheListedHostKeepsThemAll) {
    ask_for_everything();

    const TransferResult result = fetch("/same-host");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(at_listed.count(), 2U);
    EXPECT_EQ(at_listed.last("X-Token"), "token-value");
    EXPECT_EQ(at_listed.last("Referer"), listed.url("/"));
    EXPECT_EQ(at_listed.last("Authorization"), "Basic dXNlcjpwYXNz");
}

// libcurl 7.88 itself would forward X-Token and the Referer here.
TEST_F(RequestScope, ARedirectToAnotherHostCarriesNoneOfThemButTheUserAgent) {
    ask_for_everything();

    const TransferResult result = fetch("/away");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(at_listed.last("X-Token"), "token-value"); // the first hop had them
    ASSERT_EQ(at_other.count(), 1U);
    for (const char* name : {"X-Token", "Cookie", "Referer", "Authorization"}) {
        EXPECT_FALSE(at_other.last_has(name)) << name << ": " << at_other.last(name);
    }
    EXPECT_EQ(at_other.last("User-Agent"), "Mozilla/5.0 (imgfetch test)");
    EXPECT_EQ(test::read_file(temp / "out" / "x.png"), image);
}

TEST_F(RequestScope, NetrcCredentialsGoToTheListedHostOnlyEvenWithAnEntryForTheOther) {
    const auto netrc = temp / "netrc";
    test::write_file(netrc, "machine 127.0.0.1 login user password pass\n"
                            "machine 127.0.0.2 login other password secret\n");
    ::chmod(netrc.c_str(), 0600);
    settings.netrc_file = netrc.string();

    ASSERT_EQ(fetch("/img.png").status, Status::ok);
    EXPECT_EQ(at_listed.last("Authorization"), "Basic dXNlcjpwYXNz");
    ASSERT_EQ(fetch("/away").status, Status::ok);
    EXPECT_FALSE(at_other.last_has("Authorization")) << at_other.last("Authorization");
}

TEST_F(RequestScope, ATasksHeadersAndRefererComeAfterAndOverrideTheOptions) {
    settings.headers = {"X-Token: from-option", "X-Other: kept"};
    settings.referer = "http://gallery.example/";
    Task task{0, 4, listed.url("/img.png"), "x.png", false};
    task.headers = {"x-token: from-list"};
    task.referer = "http://list.example/page";

    const TransferResult result = download(task);

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(at_listed.last("X-Token"), "from-list");
    EXPECT_EQ(at_listed.last("X-Other"), "kept");
    EXPECT_EQ(at_listed.last("Referer"), "http://list.example/page");
}

TEST_F(RequestScope, ANameWithoutAValueRemovesAHeaderLibcurlWouldSend) {
    ASSERT_EQ(fetch("/img.png").status, Status::ok);
    ASSERT_TRUE(at_listed.last_has("Accept")); // libcurl's "*/*"
    settings.headers = {"Accept:"};

    ASSERT_EQ(fetch("/img.png").status, Status::ok);
    EXPECT_FALSE(at_listed.last_has("Accept")) << at_listed.last("Accept");
}

TEST_F(RequestScope, ATaskHeaderThatCannotBeSentFailsItsUrlWithoutQuotingIt) {
    Task task{0, 12, listed.url("/img.png"), "x.png", false};
    task.headers = {"X-Token: SECRET\r\nX-Injected: 1"};

    const TransferResult result = download(task);

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_NE(result.error.find("list line 12"), std::string::npos) << result.error;
    EXPECT_EQ(result.error.find("SECRET"), std::string::npos) << result.error;
    EXPECT_EQ(at_listed.count(), 0U);
}

TEST_F(RequestScope, TheDefaultUserAgentIsImgfetchsAndNothingElseIsAdded) {
    ASSERT_EQ(fetch("/away").status, Status::ok);
    EXPECT_EQ(at_listed.last("User-Agent"), "imgfetch/" IMGFETCH_VERSION);
    EXPECT_FALSE(at_listed.last_has("Referer"));
    EXPECT_FALSE(at_listed.last_has("Authorization"));
    EXPECT_EQ(at_other.last("User-Agent"), "imgfetch/" IMGFETCH_VERSION);
}

// --timeout is the whole attempt's, every hop included, not each hop's.
TEST_F(RequestScope, TheTimeoutSpansEveryHop) {
    listed.server().Get(
        R"(/slow/(\d))", [](const httplib::Request& request, httplib::Response& response) {
            std::this_thread::sleep_for(std::chrono::milliseconds(300)); // a slow server
            const int next = std::stoi(request.matches[1].str()) + 1;
            response.set_redirect("/slow/" + std::to_string(next), 302);
        });
    settings.timeout_s = 1; // each hop alone is well within it; eight are not

    const TransferResult result = fetch("/slow/1");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_NE(result.error.find("timed out"), std::string::npos) << result.error;
}

} // namespace
} // namespace imgfetch
