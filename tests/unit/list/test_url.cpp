// The one URL parser (list/url.hpp): host, path and normalized form from one parse.
#include "imgfetch/list/url.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace imgfetch {
namespace {

TEST(HostKey, IsTheLowerCasedHostNameWithoutPortOrCredentials) {
    EXPECT_EQ(host_key("http://User:Secret@Images.Example.COM:8080/a.png?x=1"),
              "images.example.com");
    EXPECT_EQ(host_key("https://127.0.0.2/a.png"), "127.0.0.2");
    EXPECT_EQ(host_key("http://127.0.0.1:1/a.png"), host_key("http://127.0.0.1:2/b.png"))
        << "one host name, whatever the port";
    EXPECT_EQ(host_key("not a url"), "");
}

TEST(ParseUrl, GivesHostPathAndNormalizedFormFromOneParse) {
    const std::optional<ParsedUrl> parsed =
        parse_url("HTTP://User:pw@Example.COM:80/a/./b/../c%20d.png?q=1#frag");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->host, "example.com");
    ASSERT_TRUE(parsed->path);
    EXPECT_EQ(*parsed->path, "/a/c%20d.png") << "raw, dot segments resolved, no query";
    EXPECT_EQ(parsed->normalized,
              normalized_url("HTTP://User:pw@Example.COM:80/a/./b/../c%20d.png?q=1#frag"));
    EXPECT_EQ(parsed->normalized.find('#'), std::string::npos) << "no fragment";
    EXPECT_EQ(parsed->normalized.find(":80"), std::string::npos) << "no default port";
}

TEST(ParseUrl, RejectsWhatLibcurlRejectsAndTheWrappersFallBack) {
    EXPECT_FALSE(parse_url("http://exa mple.com/x.png"));
    EXPECT_FALSE(parse_url("http://h:99999/x.png"));
    EXPECT_EQ(host_key("http://exa mple.com/x.png"), "");
    EXPECT_EQ(normalized_url("not a url"), "not a url") << "the raw text";
}

} // namespace
} // namespace imgfetch
