// The pure half of the user's request details (transfer/request_headers.hpp): which header
// lines are sendable, how --header and a list line's headers combine, the Referer, and what
// counts as the listed URL's origin.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imgfetch/transfer/request_headers.hpp"

namespace imgfetch {
namespace {

TEST(HeaderLine, AcceptsANameWithAValueAndANameAlone) {
    EXPECT_EQ(header_line_problem("X-Token: abc"), "");
    EXPECT_EQ(header_line_problem("Accept:"), "");
    EXPECT_EQ(header_line_problem("Authorization: Bearer a b\tc"), "");
    EXPECT_EQ(header_name("X-Token: abc"), "X-Token");
}

TEST(HeaderLine, RefusesWhatIsNotAHeaderLineWithoutQuotingItsValue) {
    const std::vector<std::string> lines{
        "no colon here",         ": SECRETVALUE",
        "Bad Name: SECRETVALUE", "X-Ok: SECRETVALUE\r\nEvil: 1",
        "X-Ok: SECRETVALUE\n",   std::string("X-Ok: SECRET\0VALUE", 18)};
    for (const std::string& line : lines) {
        const std::string problem = header_line_problem(line);
        EXPECT_NE(problem, "") << line;
        EXPECT_EQ(problem.find("SECRET"), std::string::npos) << problem;
    }
}

TEST(UserHeaderLines, ATaskHeaderComesAfterAndReplacesTheOptionsOfTheSameName) {
    const std::vector<std::string> options{"X-Token: from-option", "X-Other: kept",
                                           "x-token: second"};
    const std::vector<std::string> task{"X-TOKEN: from-list"};

    EXPECT_EQ(user_header_lines(options, task),
              (std::vector<std::string>{"X-Other: kept", "X-TOKEN: from-list"}));
    EXPECT_EQ(user_header_lines(options, {}), options);
    EXPECT_EQ(user_header_lines({}, task), task);
}

TEST(Referer, OriginIsTheListedUrlsSchemeHostAndPort) {
    TransferOptions settings;
    settings.referer = "origin";
    Task task;
    task.url = "http://127.0.0.1:8080/a/b.png?x=1";
    EXPECT_EQ(referer_for(settings, task), "http://127.0.0.1:8080/");
    task.url = "https://Images.Example:443/c.jpg";
    EXPECT_EQ(referer_for(settings, task), "https://Images.Example/"); // the default port goes
    task.url = "http://[::1]:81/c.jpg";
    EXPECT_EQ(referer_for(settings, task), "http://[::1]:81/");
}

TEST(Referer, ATasksOwnRefererOverridesTheOptionAndNoneGivesNone) {
    TransferOptions settings;
    Task task;
    task.url = "http://127.0.0.1/a.png";
    EXPECT_EQ(referer_for(settings, task), std::nullopt);
    settings.referer = "http://gallery.example/page";
    EXPECT_EQ(referer_for(settings, task), "http://gallery.example/page");
    task.referer = "http://other.example/";
    EXPECT_EQ(referer_for(settings, task), "http://other.example/");
}

TEST(Referer, TheOptionIsAnHttpUrlOrOrigin) {
    EXPECT_EQ(referer_problem("origin"), "");
    EXPECT_EQ(referer_problem("https://gallery.example/page?id=3"), "");
    EXPECT_NE(referer_problem("ftp://gallery.example/"), "");
    EXPECT_NE(referer_problem("not a url"), "");
    EXPECT_NE(referer_problem("http://a.example/\r\nX-Evil: 1"), "");
}

TEST(ListedOrigin, IsTheSameSchemeHostAndPortOrAnUpgradeToHttps) {
    struct Case {
        const char* hop;
        bool listed;
    };
    const char* listed = "http://Img.Example/a.png";
    for (const Case& c :
         {Case{"http://img.example/b.png", true}, Case{"http://IMG.EXAMPLE:80/c", true},
          Case{"https://img.example/a.png", true}, Case{"http://img.example:8080/a.png", false},
          Case{"https://img.example:8443/a.png", false}, Case{"http://cdn.example/a.png", false},
          Case{"http://img.example.evil/a.png", false}, Case{"not a url", false}}) {
        EXPECT_EQ(is_listed_origin(listed, c.hop), c.listed) << c.hop;
    }
    // No downgrade: from https, plain http is another origin.
    EXPECT_FALSE(is_listed_origin("https://img.example/a.png", "http://img.example/a.png"));
    EXPECT_FALSE(is_listed_origin("http://127.0.0.1:8000/a", "http://127.0.0.2:8000/a"));
}

TEST(OriginBoundDetails, AreTheUserHeadersTheRefererAndTheCredentials) {
    TransferOptions settings;
    Task task;
    task.url = "http://127.0.0.1/a.png";
    EXPECT_FALSE(has_origin_bound_details(settings, task)); // nothing to keep from another host
    const auto with = [&](auto change) {
        TransferOptions s = settings;
        Task t = task;
        change(s, t);
        return has_origin_bound_details(s, t);
    };
    EXPECT_TRUE(with([](TransferOptions& s, Task&) { s.headers = {"X-Token: a"}; }));
    EXPECT_TRUE(with([](TransferOptions&, Task& t) { t.headers = {"X-Token: a"}; }));
    EXPECT_TRUE(with([](TransferOptions& s, Task&) { s.referer = "origin"; }));
    EXPECT_TRUE(with([](TransferOptions&, Task& t) { t.referer = "http://gallery.example/"; }));
    EXPECT_TRUE(with([](TransferOptions& s, Task&) { s.user = "me:secret"; }));
    EXPECT_TRUE(with([](TransferOptions& s, Task&) { s.netrc = true; }));
    EXPECT_TRUE(with([](TransferOptions& s, Task&) { s.netrc_file = "/dev/null"; }));
}

} // namespace
} // namespace imgfetch
