// --resume's rules, pure: what Content-Range continues a partial, which validator may guard a
// range, and the stable name a URL's partial has.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "imgfetch/files/temporary_name.hpp"
#include "imgfetch/list/task.hpp"
#include "imgfetch/transfer/resume_partial.hpp"

namespace imgfetch {
namespace {

TEST(ContentRangeStart, IsTheFirstBytePositionOfASatisfiedRange) {
    EXPECT_EQ(content_range_start("bytes 100-199/200"), 100U);
    EXPECT_EQ(content_range_start("bytes 0-0/1"), 0U);
    EXPECT_EQ(content_range_start("bytes 100-199/*"), 100U);
    for (const char* bad : {"", "bytes */200", "bytes 100-/200", "bytes -199/200",
                            "bytes 200-100/300", "items 100-199/200", "bytes 1x-199/200",
                            "bytes 100-199", "bytes 100-199/2x0", "bytes=100-199/200"}) {
        EXPECT_EQ(content_range_start(bad), std::nullopt) << bad;
    }
}

TEST(IfRangeValidator, IsAStrongETagElseTheLastModifiedDate) {
    const std::string date = "Wed, 21 Oct 2015 07:28:00 GMT";
    EXPECT_EQ(if_range_validator("\"abc\"", date, ""), "\"abc\"");
    EXPECT_EQ(if_range_validator("W/\"abc\"", date, ""), date) << "a weak ETag may not be used";
    EXPECT_EQ(if_range_validator("", date, ""), date);
    EXPECT_EQ(if_range_validator("abc", "", ""), std::nullopt) << "not a quoted entity tag";
    EXPECT_EQ(if_range_validator("", "", ""), std::nullopt);
    EXPECT_EQ(if_range_validator("\"a\r\nX: y\"", "", ""), std::nullopt) << "no header injection";
}

TEST(IfRangeValidator, IsNothingForAnEncodedBody) {
    EXPECT_EQ(if_range_validator("\"abc\"", "Wed, 21 Oct 2015 07:28:00 GMT", "gzip"), std::nullopt);
}

TEST(ResumeName, IsStablePerUrlAndDiffersBetweenUrls) {
    Task a;
    a.url = "http://127.0.0.1:1/a.png";
    a.normalized_url = a.url;
    Task b = a;
    b.url = b.normalized_url = "http://127.0.0.1:1/b.png";

    EXPECT_EQ(resume_name_for(a), resume_name_for(a));
    EXPECT_NE(resume_name_for(a), resume_name_for(b));
    EXPECT_TRUE(is_resume_temporary_name(resume_name_for(a))) << resume_name_for(a);
}

TEST(ResumeName, DoesNotShowTheUrlsCredentials) {
    Task task;
    task.url = task.normalized_url = "http://alice:s3cret@127.0.0.1:1/a.png";
    EXPECT_EQ(resume_name_for(task).find("s3cret"), std::string::npos);
    EXPECT_EQ(resume_name_for(task).find("alice"), std::string::npos);
}

} // namespace
} // namespace imgfetch
