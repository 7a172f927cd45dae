#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "imgfetch/list/name_template.hpp"

namespace imgfetch {
namespace {

NameFields template_test_fields() {
    return NameFields{"example.com_8080", "a/b", "img.jpg", 7};
}

TEST(NameTemplate, ExpandsEveryFieldButSha256) {
    const NameTemplate t("{host}/{dir}/{line}-{stem}.{ext}|{path}|{name}");
    EXPECT_EQ(t.expand(template_test_fields()),
              "example.com_8080/a/b/7-img.jpg_a/b/img.jpg_img.jpg");
}

TEST(NameTemplate, DoubledBracesAreLiteral) {
    EXPECT_EQ(NameTemplate("{{x}}-{name}").expand(template_test_fields()), "{x}-img.jpg");
}

TEST(NameTemplate, UnknownFieldsAndUnbalancedBracesAreRefusedByName) {
    try {
        NameTemplate bad("{host}/{bogus}");
        FAIL() << "accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("{bogus}"), std::string::npos);
    }
    EXPECT_THROW(NameTemplate("{name"), std::invalid_argument);
    EXPECT_THROW(NameTemplate("name}"), std::invalid_argument);
}

TEST(NameTemplate, Sha256StaysAMarkerUntilTheDigestIsKnown) {
    const NameTemplate t("{sha256}.{ext}");
    EXPECT_TRUE(t.uses_sha256());
    const std::string pattern = t.expand(template_test_fields());
    EXPECT_EQ(pattern, "{sha256}.jpg");
    EXPECT_EQ(with_digest(pattern, "ab12"), "ab12.jpg");
    // A name holding the marker's text cannot stand in for the digest.
    NameFields tricky = template_test_fields();
    tricky.name = "{sha256}.jpg";
    EXPECT_EQ(NameTemplate("{sha256}-{name}").expand(tricky), "{sha256}-_sha256_.jpg");
}

TEST(NameTemplate, ADigestTheLengthLimitWouldCutNamesTheFileAlone) {
    // Found by fuzz_name_template: a long {name} before {sha256} pushed the digest past the
    // segment's 200 bytes, and content-addressed files could then share one name.
    const std::string digest(64, 'e');
    NameFields long_name = template_test_fields();
    long_name.name = std::string(190, 'n') + ".jpg";
    const NameTemplate t("{dir}/{name}{sha256}.{ext}");
    const std::string named = with_digest(t.expand(long_name), digest);
    EXPECT_NE(named.find(digest), std::string::npos) << named;
    EXPECT_EQ(with_digest(t.expand(template_test_fields()), digest),
              "a/b/img.jpg" + digest + ".jpg");
}

TEST(NameTemplate, TheUrlLayoutKeepsPathsApartAndNamesPortsSafely) {
    EXPECT_EQ(host_segment("127.0.0.1", "http://127.0.0.1:8080/x"), "127.0.0.1_8080");
    EXPECT_EQ(host_segment("example.com", "https://user@example.com/x"), "example.com");
    EXPECT_EQ(host_segment("[::1]", "http://[::1]/x"), "[__1]");
    EXPECT_EQ(url_directories(std::string("/a/b/img.jpg")), "a/b");
    EXPECT_EQ(url_directories(std::string("/img.jpg")), "");
}

// Hostile URL paths: whatever they hold, every segment is a plain name under DIR.
TEST(NameTemplate, HostilePathsNeverLeaveDir) {
    struct Case {
        std::string raw_path;
        std::string dirs;
    };
    const Case cases[] = {
        {"/%2e%2e/%2e%2e/etc/x", "etc"},
        {"/a%2fb/x", "a_b"},
        {"/a\\..\\b/x", "a_.._b"},
        {"/.imgfetch.lock/x", "imgfetch.lock"},
        {"/%00%01/x", "__"},
        {"//./ ./x", ""},
        {"/" + std::string(300, 'd') + "/x", std::string(200, 'd')},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(url_directories(c.raw_path), c.dirs) << c.raw_path;
    }
    EXPECT_EQ(sanitize_relative_path("/../a//./b/../.hidden"), "a/b/hidden");
    EXPECT_EQ(sanitize_relative_path("../.."), "index");
    std::string deep;
    for (int i = 0; i < 100; ++i) {
        deep += std::string(100, 'x') + "/";
    }
    const std::string limited = sanitize_relative_path(deep + "leaf.jpg");
    EXPECT_LE(limited.size(), k_max_path_bytes);
    EXPECT_TRUE(limited.ends_with("/leaf.jpg"));
}

} // namespace
} // namespace imgfetch
