#include "imgfetch/list/url_list.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace imgfetch {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// --- parse_list_line ------------------------------------------------------------------------

bool is_blank_line(const ParsedLine& parsed) {
    return std::holds_alternative<BlankLine>(parsed);
}

TEST(ParseListLine, BlankAndCommentLinesCarryNothing) {
    for (const std::string_view line :
         {""sv, " "sv, "\t \t"sv, "\r"sv, " \r"sv, "#"sv, "# a comment"sv, "   # indented"sv,
          "\t#http://example.com/a.jpg"sv, "#http://example.com/a.jpg name"sv}) {
        EXPECT_TRUE(is_blank_line(parse_list_line(line))) << "line: '" << line << "'";
    }
}

struct EntryCase {
    std::string line;
    std::string url;
    std::string name;
};

class ParseListLineEntries : public ::testing::TestWithParam<EntryCase> {};

TEST_P(ParseListLineEntries, SplitsUrlFromOptionalName) {
    const ParsedLine parsed = parse_list_line(GetParam().line);
    const auto* entry = std::get_if<ListEntry>(&parsed);
    ASSERT_NE(entry, nullptr) << "line: '" << GetParam().line << "'";
    EXPECT_EQ(entry->url, GetParam().url);
    EXPECT_EQ(entry->name, GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseListLineEntries,
    ::testing::Values(
        EntryCase{"http://example.com/a.jpg", "http://example.com/a.jpg", ""},
        EntryCase{"https://example.com/a.jpg", "https://example.com/a.jpg", ""},
        EntryCase{"HTTP://EXAMPLE.COM/A.JPG", "HTTP://EXAMPLE.COM/A.JPG", ""},
        EntryCase{"HtTpS://example.com/", "HtTpS://example.com/", ""},
        EntryCase{"  http://example.com/a.jpg  \t", "http://example.com/a.jpg", ""},
        EntryCase{"http://example.com/a.jpg\r", "http://example.com/a.jpg", ""},
        EntryCase{"http://example.com/a.jpg cat.jpg", "http://example.com/a.jpg", "cat.jpg"},
        EntryCase{"http://example.com/a.jpg \t my cat photo.jpg \t\r", "http://example.com/a.jpg",
                  "my cat photo.jpg"},
        EntryCase{"http://example.com/a.jpg\tname", "http://example.com/a.jpg", "name"},
        EntryCase{"http://example.com/a.jpg # not a comment", "http://example.com/a.jpg",
                  "# not a comment"},
        EntryCase{"http://user:pw@example.com:8080/a.jpg?x=1#f",
                  "http://user:pw@example.com:8080/a.jpg?x=1#f", ""},
        EntryCase{"http://[::1]:8080/a.png", "http://[::1]:8080/a.png", ""},
        EntryCase{"http://127.0.0.1/a.png ../../etc/passwd", "http://127.0.0.1/a.png",
                  "../../etc/passwd"}));

struct BadCase {
    std::string line;
    std::string reason;
};

class ParseListLineBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseListLineBad, ReportsWhyTheLineIsUnusable) {
    const ParsedLine parsed = parse_list_line(GetParam().line);
    const auto* bad = std::get_if<BadLine>(&parsed);
    ASSERT_NE(bad, nullptr) << "line: '" << GetParam().line << "'";
    EXPECT_EQ(bad->reason, GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseListLineBad,
    ::testing::Values(
        BadCase{"ftp://example.com/a.jpg", "not an http(s) URL: ftp://example.com/a.jpg"},
        BadCase{"file:///etc/passwd", "not an http(s) URL: file:///etc/passwd"},
        BadCase{"javascript:alert(1)", "not an http(s) URL: javascript:alert(1)"},
        BadCase{"images/a.jpg name.jpg", "not an http(s) URL: images/a.jpg"},
        BadCase{"/etc/passwd", "not an http(s) URL: /etc/passwd"},
        BadCase{"//example.com/a.jpg", "not an http(s) URL: //example.com/a.jpg"},
        BadCase{"http:/example.com/a.jpg", "not an http(s) URL: http:/example.com/a.jpg"},
        BadCase{"http://", "not an http(s) URL: http://"},
        BadCase{"http:///a.jpg", "not an http(s) URL: http:///a.jpg"},
        BadCase{"http://user@/a.jpg", "not an http(s) URL: http://***@/a.jpg"},
        BadCase{"http://:80/a.jpg", "not an http(s) URL: http://:80/a.jpg"},
        BadCase{"httpx://example.com/", "not an http(s) URL: httpx://example.com/"},
        BadCase{"example.com/a.jpg", "not an http(s) URL: example.com/a.jpg"},
        // Hostile bytes stay raw in the reason: the log escapes them once, the report as JSON.
        BadCase{"ftp://x\x1B[2J\\", "not an http(s) URL: ftp://x\x1B[2J\\"},
        BadCase{"http://example.com/\x7F", "not an http(s) URL: http://example.com/\x7F"},
        BadCase{"http://exa\x01mple.com/", "not an http(s) URL: http://exa\x01mple.com/"},
        BadCase{"http://example.com/a\x00.jpg"s, "line contains a NUL byte"},
        BadCase{"\x00"s, "line contains a NUL byte"},
        BadCase{"# comment \x00"s, "line contains a NUL byte"}));

TEST(ParseListLine, ReasonShowsOnlyTheStartOfAVeryLongBadUrl) {
    const std::string url = "ftp://example.com/" + std::string(10'000, 'a');
    const ParsedLine parsed = parse_list_line(url);
    const auto* bad = std::get_if<BadLine>(&parsed);
    ASSERT_NE(bad, nullptr);
    EXPECT_TRUE(bad->reason.starts_with("not an http(s) URL: ftp://example.com/aaa"));
    EXPECT_LE(bad->reason.size(), 140U);
}

TEST(ParseListLine, ShortenedBadUrlIsNotCutInsideAUtf8Character) {
    // The euro sign is three bytes, 98..100, so a cut after 100 bytes would split it.
    std::string url = "ftp://" + std::string(92, 'a');
    for (int i = 0; i < 50; ++i) {
        url += "\xE2\x82\xAC";
    }
    const ParsedLine parsed = parse_list_line(url);
    const auto* bad = std::get_if<BadLine>(&parsed);
    ASSERT_NE(bad, nullptr);
    EXPECT_EQ(bad->reason, "not an http(s) URL: ftp://" + std::string(92, 'a') + "...");
}

// --- is_http_url ----------------------------------------------------------------------------

struct UrlCase {
    std::string url;
    bool expected;
};

class IsHttpUrl : public ::testing::TestWithParam<UrlCase> {};

TEST_P(IsHttpUrl, AcceptsOnlyAbsoluteHttpUrlsWithAHost) {
    EXPECT_EQ(is_http_url(GetParam().url), GetParam().expected) << GetParam().url;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, IsHttpUrl,
    ::testing::Values(
        UrlCase{"http://example.com", true}, UrlCase{"https://example.com/a/b.jpg?x=1#y", true},
        UrlCase{"HTTP://example.com/", true}, UrlCase{"hTTps://example.com/", true},
        UrlCase{"http://127.0.0.1:8080/a", true}, UrlCase{"http://[::1]/a", true},
        UrlCase{"http://user:pass@example.com/a", true}, UrlCase{"http://example.com?q", true},
        UrlCase{"http://", false}, UrlCase{"https://", false}, UrlCase{"http:///x", false},
        UrlCase{"http://?x", false}, UrlCase{"http://#x", false}, UrlCase{"http://[]/x", false},
        UrlCase{"http://[::1/x", false}, UrlCase{"http:example.com", false},
        UrlCase{"http:/example.com", false}, UrlCase{"ftp://example.com/", false},
        UrlCase{"file:///etc/passwd", false}, UrlCase{"javascript:alert(1)", false},
        UrlCase{"data:image/png;base64,AAAA", false}, UrlCase{"mailto:a@example.com", false},
        UrlCase{"//example.com/a", false}, UrlCase{"a.jpg", false}, UrlCase{"", false},
        UrlCase{" http://example.com/", false}, UrlCase{"http://exa mple.com/", false},
        UrlCase{"http://example.com/a b.jpg", false}, UrlCase{"http://example.com/\t", false},
        UrlCase{"http://example.com:99999/", false}, UrlCase{"http://example.com:port/", false},
        UrlCase{"http://example.com/\x00"s, false}));

// --- ListReader -----------------------------------------------------------------------------

std::vector<ListReader::Line>
read_all(const std::string& text,
         std::size_t max_line_bytes = ListReader::k_default_max_line_bytes) {
    std::istringstream in(text);
    ListReader reader(in, max_line_bytes);
    std::vector<ListReader::Line> lines;
    ListReader::Line line;
    while (reader.next(line)) {
        lines.push_back(line);
    }
    return lines;
}

std::string url_of(const ListReader::Line& line) {
    const auto* entry = std::get_if<ListEntry>(&line.parsed);
    return entry == nullptr ? "<not an entry>" : entry->url;
}

std::string reason_of(const ListReader::Line& line) {
    const auto* bad = std::get_if<BadLine>(&line.parsed);
    return bad == nullptr ? "<not bad>" : bad->reason;
}

TEST(ListReader, EmptyInputHasNoLines) {
    EXPECT_TRUE(read_all("").empty());
}

TEST(ListReader, NumbersEveryPhysicalLineIncludingBlanksAndComments) {
    const auto lines =
        read_all("\n# comment\nhttp://a.example/1.jpg\n\n  \nhttp://a.example/2.jpg\n");
    ASSERT_EQ(lines.size(), 6U);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_EQ(lines[i].number, i + 1);
    }
    EXPECT_TRUE(is_blank_line(lines[0].parsed));
    EXPECT_TRUE(is_blank_line(lines[1].parsed));
    EXPECT_EQ(url_of(lines[2]), "http://a.example/1.jpg");
    EXPECT_TRUE(is_blank_line(lines[3].parsed));
    EXPECT_TRUE(is_blank_line(lines[4].parsed));
    EXPECT_EQ(url_of(lines[5]), "http://a.example/2.jpg");
}

TEST(ListReader, FinalLineWithoutNewlineStillCounts) {
    const auto lines = read_all("http://a.example/1.jpg\nhttp://a.example/2.jpg");
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(url_of(lines[1]), "http://a.example/2.jpg");
    EXPECT_EQ(lines[1].number, 2U);
}

TEST(ListReader, SingleNewlineIsOneBlankLine) {
    const auto lines = read_all("\n");
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_TRUE(is_blank_line(lines[0].parsed));
}

TEST(ListReader, StripsCarriageReturnOfCrlfLines) {
    const auto lines = read_all("http://a.example/1.jpg\r\nhttp://a.example/2.jpg name\r\n\r\n");
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(url_of(lines[0]), "http://a.example/1.jpg");
    const auto* entry = std::get_if<ListEntry>(&lines[1].parsed);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->name, "name");
    EXPECT_TRUE(is_blank_line(lines[2].parsed));
}

TEST(ListReader, StripsUtf8BomOnTheFirstLineOnly) {
    const auto lines =
        read_all("\xEF\xBB\xBFhttp://a.example/1.jpg\n\xEF\xBB\xBFhttp://a.example/2.jpg\n");
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(url_of(lines[0]), "http://a.example/1.jpg");
    EXPECT_EQ(reason_of(lines[1]), "not an http(s) URL: \xEF\xBB\xBFhttp://a.example/2.jpg");
}

TEST(ListReader, BomBeforeACommentLeavesAComment) {
    const auto lines = read_all("\xEF\xBB\xBF# list\r\nhttp://a.example/1.jpg");
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_TRUE(is_blank_line(lines[0].parsed));
    EXPECT_EQ(url_of(lines[1]), "http://a.example/1.jpg");
}

TEST(ListReader, ReportsNulByteAndGoesOn) {
    const auto lines = read_all("http://a.example/\0x.jpg\nhttp://a.example/2.jpg\n"s);
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(reason_of(lines[0]), "line contains a NUL byte");
    EXPECT_EQ(url_of(lines[1]), "http://a.example/2.jpg");
    EXPECT_EQ(lines[1].number, 2U);
}

TEST(ListReader, LongLineIsReportedAndSkippedToItsEnd) {
    const std::string text = "http://a.example/" + std::string(100, 'x') +
                             "\nhttp://a.example/ok.jpg\n" + std::string(5000, 'y');
    const auto lines = read_all(text, 32);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(reason_of(lines[0]), "line longer than 32 bytes");
    EXPECT_EQ(url_of(lines[1]), "http://a.example/ok.jpg");
    EXPECT_EQ(lines[1].number, 2U);
    EXPECT_EQ(reason_of(lines[2]), "line longer than 32 bytes");
    EXPECT_EQ(lines[2].number, 3U);
}

TEST(ListReader, LineOfExactlyTheLimitIsAcceptedAndOneMoreByteIsNot) {
    const std::string url = "http://a.example/" + std::string(15, 'x'); // 32 bytes
    ASSERT_EQ(url.size(), 32U);
    const auto lines = read_all(url + "\n" + url + "\r\n" + url + "y\n" + url + "y\r\n" + url, 32);
    ASSERT_EQ(lines.size(), 5U);
    EXPECT_EQ(url_of(lines[0]), url);
    EXPECT_EQ(url_of(lines[1]), url); // the CR of CRLF does not count
    EXPECT_EQ(reason_of(lines[2]), "line longer than 32 bytes");
    EXPECT_EQ(reason_of(lines[3]), "line longer than 32 bytes");
    EXPECT_EQ(url_of(lines[4]), url);
}

TEST(ListReader, BomDoesNotCountTowardsTheLimit) {
    const std::string url = "http://a.example/" + std::string(15, 'x'); // 32 bytes
    const auto lines = read_all("\xEF\xBB\xBF" + url + "\r\n", 32);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_EQ(url_of(lines[0]), url);
}

TEST(ListReader, LongLinesOfOnlyCarriageReturnsAreStillTooLong) {
    const auto lines = read_all(std::string(100, '\r') + "\n", 8);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_EQ(reason_of(lines[0]), "line longer than 8 bytes");
}

TEST(ListReader, ReturnsFalseAgainAfterTheEnd) {
    std::istringstream in("http://a.example/1.jpg");
    ListReader reader(in);
    ListReader::Line line;
    EXPECT_TRUE(reader.next(line));
    EXPECT_FALSE(reader.next(line));
    EXPECT_FALSE(reader.next(line));
}

TEST(ListReader, ReadsAMillionLines) {
    std::string text;
    constexpr std::size_t k_lines = 1'000'000;
    text.reserve(k_lines * 40);
    for (std::size_t i = 0; i < k_lines; ++i) {
        text += "http://img.example/p/";
        text += std::to_string(i);
        text += i % 2 == 0 ? ".jpg\n" : ".jpg name\r\n";
    }
    std::istringstream in(std::move(text));
    ListReader reader(in);
    ListReader::Line line;
    std::size_t entries = 0;
    while (reader.next(line)) {
        entries += std::holds_alternative<ListEntry>(line.parsed) ? 1 : 0;
    }
    EXPECT_EQ(entries, k_lines);
    EXPECT_EQ(line.number, k_lines);
}

} // namespace
} // namespace imgfetch
