// ResponseFacts against a real loopback server, read from the easy handle that fetched it:
// after the transfer, and from the header callback at the end of a header block.
#include "imgfetch/transfer/response_facts.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "imgfetch/transfer/curl_handle.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::TestServer;

std::size_t discard(char*, std::size_t size, std::size_t count, void*) {
    return size * count;
}

// What the header callback saw at the end of each header block.
struct AtBlockEnd {
    CURL* easy = nullptr;
    std::vector<std::string> encodings;
    std::vector<std::string> etags;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* seen = static_cast<AtBlockEnd*>(user);
    const std::string_view line(data, size * count);
    if (line == "\r\n") {
        const ResponseFacts facts(seen->easy);
        seen->encodings.push_back(facts.content_encoding());
        seen->etags.push_back(facts.etag());
    }
    return size * count;
}

class ResponseFactsTest : public ::testing::Test {
protected:
    // Fetches `path` on the session's handle (following redirects); the facts read from it.
    ResponseFacts fetch(const std::string& path) {
        CURL* easy = session.handle().easy;
        curl_easy_setopt(easy, CURLOPT_URL, server.url(path).c_str());
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard);
        seen.easy = easy;
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, &seen);
        EXPECT_EQ(curl_easy_perform(easy), CURLE_OK);
        return ResponseFacts(easy);
    }

    TestServer server;
    CurlSession session;
    AtBlockEnd seen;
};

TEST_F(ResponseFactsTest, ReadsTheFieldsOfAResponse) {
    server.server().Get("/a.png", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("ETag", "\"v1\"");
        res.set_header("Content-Disposition", "attachment; filename=\"photo.png\"");
        res.set_header("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
        res.set_content("12345", "IMAGE/PNG; charset=binary");
    });

    const ResponseFacts facts = fetch("/a.png");

    EXPECT_EQ(facts.status(), 200);
    EXPECT_EQ(facts.http_version(), "1.1");
    EXPECT_EQ(facts.media_type(), "image/png");
    EXPECT_EQ(facts.content_length(), 5U);
    EXPECT_EQ(facts.etag(), "\"v1\"");
    EXPECT_EQ(facts.content_disposition(), "attachment; filename=\"photo.png\"");
    EXPECT_EQ(facts.last_modified(), 784111777);
    EXPECT_EQ(facts.content_encoding(), "");
    EXPECT_EQ(facts.retry_after_s(), std::nullopt);
}

TEST_F(ResponseFactsTest, ReadsLastModifiedInTheObsoleteFormsAndTheLastInstance) {
    server.server().Get("/rfc850", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Last-Modified", "Sunday, 06-Nov-94 08:49:37 GMT");
        res.set_content("x", "image/png");
    });
    server.server().Get("/asctime", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Last-Modified", "Sun Nov  6 08:49:37 1994");
        res.set_content("x", "image/png");
    });
    server.server().Get("/two", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Last-Modified", "Thu, 01 Jan 1970 00:00:10 GMT");
        res.set_header("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
        res.set_content("x", "image/png");
    });
    server.server().Get("/garbage", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Last-Modified", "yesterday-ish");
        res.set_content("x", "image/png");
    });

    EXPECT_EQ(fetch("/rfc850").last_modified(), 784111777);
    EXPECT_EQ(fetch("/asctime").last_modified(), 784111777);
    EXPECT_EQ(fetch("/two").last_modified(), 784111777);
    EXPECT_EQ(fetch("/garbage").last_modified(), std::nullopt);
}

TEST_F(ResponseFactsTest, AbsentFieldsReadAsNothing) {
    server.server().Get("/bare", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("x", "text/plain");
    });

    const ResponseFacts facts = fetch("/bare");

    EXPECT_EQ(facts.etag(), "");
    EXPECT_EQ(facts.content_disposition(), "");
    EXPECT_EQ(facts.content_encoding(), "");
    EXPECT_EQ(facts.last_modified(), std::nullopt);
    EXPECT_EQ(facts.retry_after_s(), std::nullopt);
}

TEST_F(ResponseFactsTest, SeveralContentEncodingsAddUpAndALaterIdentityUndoesNothing) {
    server.server().Get("/gzip-then-identity", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Content-Encoding", "GZIP");
        res.set_header("Content-Encoding", "Identity");
        res.set_content("not really gzip", "image/png");
    });
    server.server().Get("/identity-then-br", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Content-Encoding", "IDENTITY");
        res.set_header("Content-Encoding", "br");
        res.set_content("not really br", "image/png");
    });
    server.server().Get("/identity", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Content-Encoding", "iDeNtItY");
        res.set_content("plain", "image/png");
    });

    EXPECT_EQ(fetch("/gzip-then-identity").content_encoding(), "GZIP");
    EXPECT_EQ(fetch("/identity-then-br").content_encoding(), "br");
    EXPECT_EQ(fetch("/identity").content_encoding(), "");
}

TEST_F(ResponseFactsTest, TheLastOfSeveralETagsCounts) {
    server.server().Get("/two", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("ETag", "\"first\"");
        res.set_header("etag", "\"second\"");
        res.set_content("x", "image/png");
    });

    EXPECT_EQ(fetch("/two").etag(), "\"second\"");
}

TEST_F(ResponseFactsTest, RetryAfterOfAnUnavailableServer) {
    server.server().Get("/busy", [](const httplib::Request&, httplib::Response& res) {
        res.status = 503;
        res.set_header("Retry-After", "7");
        res.set_content("busy", "text/plain");
    });

    const ResponseFacts facts = fetch("/busy");

    EXPECT_EQ(facts.status(), 503);
    EXPECT_EQ(facts.retry_after_s(), 7.0);
}

TEST_F(ResponseFactsTest, AfterARedirectTheFactsAreTheFinalResponses) {
    server.server().Get("/old", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("ETag", "\"of-the-redirect\"");
        res.set_header("Content-Disposition", "attachment; filename=\"redirect.html\"");
        res.set_redirect("/new");
    });
    server.server().Get("/new", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("ETag", "\"final\"");
        res.set_content("x", "image/png");
    });

    const ResponseFacts facts = fetch("/old");

    EXPECT_EQ(facts.status(), 200);
    EXPECT_EQ(facts.etag(), "\"final\"");
    EXPECT_EQ(facts.content_disposition(), "");
}

TEST_F(ResponseFactsTest, AtTheEndOfEachHeaderBlockItsFieldsAreAlreadyReadable) {
    server.server().Get("/old", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("ETag", "\"of-the-redirect\"");
        res.set_redirect("/new");
    });
    server.server().Get("/new", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Content-Encoding", "gzip");
        res.set_header("ETag", "\"final\"");
        res.set_content("x", "image/png");
    });

    fetch("/old");

    EXPECT_EQ(seen.etags, (std::vector<std::string>{"\"of-the-redirect\"", "\"final\""}));
    EXPECT_EQ(seen.encodings, (std::vector<std::string>{"", "gzip"}));
}

} // namespace
} // namespace imgfetch
