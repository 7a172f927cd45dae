// --resume's rules, pure: what Content-Range continues a partial, which validator may guard a
// range, and the stable name a URL's partial has.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "imgfetch/files/temporary_name.hpp"
#include "imgfetch/list/task.hpp"
#include "imgfetch/transfer/resume_partial.hpp"

namespace imgfetch {
namespace {

TEST(ContentRangeOf, IsASatisfiedRangeWithItsCompleteLength) {
    const std::optional<ContentRange> range = content_range_of("bytes 100-199/200");
    ASSERT_TRUE(range);
    EXPECT_EQ(range->first, 100U);
    EXPECT_EQ(range->last, 199U);
    EXPECT_EQ(range->complete, 200U);
    EXPECT_TRUE(content_range_of("Bytes 0-0/1")) << "the unit is case-insensitive";
    EXPECT_EQ(content_range_of("bytes 100-149/200")->last, 149U) << "a bounded range parses";
    for (const char* bad :
         {"", "bytes */200", "bytes 100-199/*", "bytes 100-/200", "bytes -199/200",
          "bytes 200-100/300", "bytes 0-199/150", "bytes 0-200/200", "items 100-199/200",
          "bytes 1x-199/200", "bytes 100-199", "bytes 100-199/2x0", "bytes=100-199/200"}) {
        EXPECT_EQ(content_range_of(bad), std::nullopt) << bad;
    }
}

// RFC 9110 13.1.5: If-Range takes a strong ETag, or a strong date only when there is no ETag.
TEST(IfRangeValidator, IsAStrongETagElseAStrongLastModifiedDate) {
    const std::string date = "Wed, 21 Oct 2015 07:28:00 GMT";
    const std::int64_t modified = 1445412480;
    const auto fields = [&](std::string_view etag, std::optional<std::int64_t> sent_at) {
        return ValidatorFields{etag, date, modified, sent_at, ""};
    };
    EXPECT_EQ(if_range_validator(fields("\"abc\"", modified + 60)), "\"abc\"");
    EXPECT_EQ(if_range_validator(fields("", modified + 60)), date);
    EXPECT_EQ(if_range_validator(fields("", modified + 1)), date);
    EXPECT_EQ(if_range_validator(fields("W/\"abc\"", modified + 60)), std::nullopt)
        << "a weak ETag may not be used, nor the date beside it";
    EXPECT_EQ(if_range_validator(fields("abc", modified + 60)), std::nullopt) << "not quoted";
    EXPECT_EQ(if_range_validator(fields("", modified)), std::nullopt)
        << "modified in the second it was sent: a weak date";
    EXPECT_EQ(if_range_validator(fields("", std::nullopt)), std::nullopt) << "no Date: weak";
    EXPECT_EQ(if_range_validator(fields("\"a\r\nX: y\"", modified + 60)), std::nullopt)
        << "no header injection";
}

TEST(IfRangeValidator, IsNothingForAnEncodedBody) {
    EXPECT_EQ(
        if_range_validator(ValidatorFields{"\"abc\"", "", std::nullopt, std::nullopt, "gzip"}),
        std::nullopt);
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
