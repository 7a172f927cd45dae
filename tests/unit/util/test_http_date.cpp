#include "imgfetch/util/http_date.hpp"

#include <gtest/gtest.h>

#include <curl/curl.h>

#include <cstdint>
#include <string>

#include "imgfetch/transfer/existing_file.hpp"

namespace imgfetch {
namespace {

TEST(HttpDate, ReadsTheExampleOfRfc9110) {
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
}

TEST(HttpDate, ReadsTheEpochALeapDayAndALeapSecond) {
    EXPECT_EQ(parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    EXPECT_EQ(parse_imf_fixdate("Tue, 29 Feb 2000 12:00:00 GMT"), 951825600);
    EXPECT_EQ(parse_imf_fixdate("Sat, 31 Dec 2016 23:59:60 GMT"), 1483228800);
    EXPECT_EQ(parse_imf_fixdate("Wed, 31 Dec 1969 23:59:59 GMT"), -1);
}

// A date a week and an hour apart from 1601 to 2400 (every day of the month, every weekday,
// every hour comes up), read as libcurl's own parser reads it: the parser this one stands in
// for on the common form.
TEST(HttpDate, AgreesWithLibcurlOverEightCenturies) {
    constexpr std::int64_t k_step = 7 * 86400 + 3671;
    constexpr std::int64_t k_first = -11644473600; // 1601-01-01
    constexpr std::int64_t k_last = 13569465600;   // 2400-01-01
    int days = 0;
    for (std::int64_t t = k_first; t < k_last; t += k_step) {
        const std::string text = http_date(t);
        ASSERT_EQ(parse_imf_fixdate(text), t) << text;
        ASSERT_EQ(curl_getdate(text.c_str(), nullptr), t) << text;
        ++days;
    }
    EXPECT_GT(days, 40000);
}

TEST(HttpDate, RefusesTheObsoleteFormsForTheGeneralParser) {
    EXPECT_EQ(parse_imf_fixdate("Sunday, 06-Nov-94 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun Nov  6 08:49:37 1994"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 +0000"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 6 Nov 1994 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT "), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate(""), std::nullopt);
}

TEST(HttpDate, RefusesFieldsOutOfRangeOrNotDigits) {
    EXPECT_EQ(parse_imf_fixdate("sun, 06 Nov 1994 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 nov 1994 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 00 Nov 1994 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 32 Nov 1994 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 1994 24:00:00 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 1994 08:60:00 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 1994 08:49:61 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 19x4 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Sun, 06 Nov 1994 08:4 :37 GMT"), std::nullopt);
    EXPECT_EQ(parse_imf_fixdate("Fri, 01 Jan 1582 00:00:00 GMT"), std::nullopt);
}

} // namespace
} // namespace imgfetch
