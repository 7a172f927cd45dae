// The retry options on the command line: their defaults, parsing, and usage errors.
#include <gtest/gtest.h>

#include "imgfetch/cli/options.hpp"

namespace imgfetch {
namespace {

TEST(RetryOptions, DefaultToThreeRetriesOneSecondAndAOneMinuteCap) {
    const char* argv[] = {"imgfetch", "urls.txt"};
    const auto parsed = parse_command_line(2, argv, true);

    ASSERT_TRUE(parsed.options);
    EXPECT_EQ(parsed.options->transfer.retries, 3U);
    EXPECT_EQ(parsed.options->transfer.retry_delay_s, 1.0);
    EXPECT_EQ(parsed.options->transfer.retry_max_wait_s, 60.0);
}

TEST(RetryOptions, AreParsedFromTheCommandLine) {
    const char* argv[] = {"imgfetch", "urls.txt",         "--retries", "5",         "--retry-delay",
                          "0.25",     "--retry-max-wait", "7.5",       "--timeout", "12"};
    const auto parsed = parse_command_line(10, argv, true);

    ASSERT_TRUE(parsed.options);
    EXPECT_EQ(parsed.options->transfer.retries, 5U);
    EXPECT_EQ(parsed.options->transfer.retry_delay_s, 0.25);
    EXPECT_EQ(parsed.options->transfer.retry_max_wait_s, 7.5);
    EXPECT_EQ(parsed.options->transfer.timeout_s, 12.0);
}

TEST(RetryOptions, NegativeOrMalformedValuesAreUsageErrors) {
    for (const char* bad : {"-1", "many"}) {
        for (const char* option : {"--retries", "--retry-delay", "--retry-max-wait"}) {
            const char* argv[] = {"imgfetch", "urls.txt", option, bad};
            EXPECT_EQ(parse_command_line(4, argv, true).exit_code, 2) << option << " " << bad;
        }
    }
}

} // namespace
} // namespace imgfetch
