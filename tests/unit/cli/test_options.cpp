// parse_size() from a table, and parse_command_line() for the reliability options: each
// option's default, its accepted range and what happens just outside it (exit code 2).
#include "imgfetch/cli/options.hpp"
#include "imgfetch/cli/parse_size.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

constexpr std::uint64_t k_kib = 1024;
constexpr std::uint64_t k_mib = k_kib * 1024;
constexpr std::uint64_t k_gib = k_mib * 1024;
constexpr std::uint64_t k_max = std::numeric_limits<std::uint64_t>::max();

// --- parse_size -----------------------------------------------------------------------------

struct SizeCase {
    std::string text;
    std::optional<std::uint64_t> expected;
};

class ParseSize : public ::testing::TestWithParam<SizeCase> {};

TEST_P(ParseSize, ReadsBytesWithBinarySuffixesAndRejectsEverythingElse) {
    EXPECT_EQ(parse_size(GetParam().text), GetParam().expected) << '"' << GetParam().text << '"';
}

INSTANTIATE_TEST_SUITE_P(PlainBytes, ParseSize,
                         ::testing::Values(SizeCase{"0", 0}, SizeCase{"1", 1},
                                           SizeCase{"1500", 1500}, SizeCase{"007", 7},
                                           SizeCase{"5B", 5}, SizeCase{"5b", 5},
                                           SizeCase{"18446744073709551615", k_max}));

INSTANTIATE_TEST_SUITE_P(Suffixes, ParseSize,
                         ::testing::Values(SizeCase{"10k", 10 * k_kib}, SizeCase{"10K", 10 * k_kib},
                                           SizeCase{"2m", 2 * k_mib}, SizeCase{"2M", 2 * k_mib},
                                           SizeCase{"1g", k_gib}, SizeCase{"1G", k_gib},
                                           SizeCase{"0M", 0}, SizeCase{"1kB", k_kib},
                                           SizeCase{"1KB", k_kib}, SizeCase{"1kb", k_kib},
                                           SizeCase{"1KiB", k_kib}, SizeCase{"1kib", k_kib},
                                           SizeCase{"3MiB", 3 * k_mib}, SizeCase{"3MB", 3 * k_mib},
                                           SizeCase{"1GiB", k_gib}, SizeCase{"4GB", 4 * k_gib}));

INSTANTIATE_TEST_SUITE_P(
    Overflow, ParseSize,
    ::testing::Values(SizeCase{"18446744073709551616", std::nullopt},
                      SizeCase{"99999999999999999999", std::nullopt},
                      SizeCase{"999999999999999999999999999999", std::nullopt},
                      // 2^34 G is exactly 2^64: one too many. One less still fits.
                      SizeCase{"17179869184G", std::nullopt},
                      SizeCase{"17179869183G", k_max - k_gib + 1},
                      SizeCase{"17592186044416M", std::nullopt},
                      SizeCase{"18014398509481984k", std::nullopt},
                      SizeCase{"18014398509481983k", k_max - k_kib + 1}));

INSTANTIATE_TEST_SUITE_P(
    Malformed, ParseSize,
    ::testing::Values(SizeCase{"", std::nullopt}, SizeCase{"-1", std::nullopt},
                      SizeCase{"-0", std::nullopt}, SizeCase{"+1", std::nullopt},
                      SizeCase{"1.5M", std::nullopt}, SizeCase{"1,5M", std::nullopt},
                      SizeCase{"1e6", std::nullopt}, SizeCase{"0x10", std::nullopt},
                      SizeCase{"abc", std::nullopt}, SizeCase{"k", std::nullopt},
                      SizeCase{"M1", std::nullopt}, SizeCase{"1T", std::nullopt},
                      SizeCase{"1MM", std::nullopt}, SizeCase{"1MBB", std::nullopt},
                      SizeCase{"1KiBB", std::nullopt}, SizeCase{"1iB", std::nullopt},
                      SizeCase{"1Bi", std::nullopt}, SizeCase{" 1", std::nullopt},
                      SizeCase{"1 ", std::nullopt}, SizeCase{"1 M", std::nullopt},
                      SizeCase{"1M ", std::nullopt}, SizeCase{std::string("1\0", 2), std::nullopt},
                      SizeCase{"\xEF\xBC\x91", std::nullopt})); // fullwidth digit one

// --- parse_command_line ---------------------------------------------------------------------

struct Parsed {
    ParsedCommandLine result;
    std::string err; // what CLI11 printed for a usage error
};

// Runs parse_command_line on `imgfetch urls.txt ARGS...` and captures what it prints.
Parsed parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"imgfetch", "urls.txt"});
    std::vector<const char*> argv;
    argv.reserve(args.size());
    for (const std::string& arg : args) {
        argv.push_back(arg.c_str());
    }
    ::testing::internal::CaptureStderr();
    ParsedCommandLine result =
        parse_command_line(static_cast<int>(argv.size()), argv.data(), /*stdin_is_tty=*/true);
    return {std::move(result), ::testing::internal::GetCapturedStderr()};
}

// The parsed options; fails the test (and returns defaults) when parsing did not succeed.
Options parse_ok(const std::vector<std::string>& args) {
    const Parsed parsed = parse(args);
    EXPECT_TRUE(parsed.result.options) << "exit " << parsed.result.exit_code << ": " << parsed.err;
    return parsed.result.options.value_or(Options{});
}

// Asserts a usage error (no options, exit code 2) whose message names `option`.
void expect_usage_error(const std::vector<std::string>& args, const std::string& option) {
    const Parsed parsed = parse(args);
    std::string shown;
    for (const std::string& arg : args) {
        shown += arg + ' ';
    }
    EXPECT_FALSE(parsed.result.options) << shown;
    EXPECT_EQ(parsed.result.exit_code, 2) << shown;
    EXPECT_NE(parsed.err.find(option), std::string::npos) << shown << "-> " << parsed.err;
}

TEST(ParseCommandLine, ReliabilityDefaultsMatchTheDocumentation) {
    const Options options = parse_ok({});

    EXPECT_EQ(options.transfer.retries, 3U);
    EXPECT_EQ(options.transfer.retry_delay_s, 1.0);
    EXPECT_EQ(options.transfer.retry_max_wait_s, 60.0);
    EXPECT_EQ(options.transfer.timeout_s, 0.0);
    EXPECT_EQ(options.transfer.max_size, k_gib);
    EXPECT_EQ(options.transfer.cacert, "");
    EXPECT_FALSE(options.transfer.insecure);
    EXPECT_FALSE(options.transfer.content_disposition);
    EXPECT_EQ(options.transfer.connect_timeout_s, 10);
    EXPECT_EQ(options.transfer.stall_timeout_s, 30);
}

TEST(ParseCommandLine, RetriesAcceptsZeroToOneHundred) {
    EXPECT_EQ(parse_ok({"--retries", "0"}).transfer.retries, 0U);
    EXPECT_EQ(parse_ok({"--retries", "7"}).transfer.retries, 7U);
    EXPECT_EQ(parse_ok({"--retries=100"}).transfer.retries, 100U);
}

TEST(ParseCommandLine, RetriesOutsideItsRangeIsAUsageError) {
    expect_usage_error({"--retries", "101"}, "--retries");
    expect_usage_error({"--retries", "-1"}, "--retries");
    expect_usage_error({"--retries", "many"}, "--retries");
    expect_usage_error({"--retries", "1.5"}, "--retries");
    expect_usage_error({"--retries"}, "--retries");
}

TEST(ParseCommandLine, RetryDelayAcceptsFractionsOfASecondUpToAnHour) {
    EXPECT_EQ(parse_ok({"--retry-delay", "0"}).transfer.retry_delay_s, 0.0);
    EXPECT_EQ(parse_ok({"--retry-delay", "0.25"}).transfer.retry_delay_s, 0.25);
    EXPECT_EQ(parse_ok({"--retry-delay", "3600"}).transfer.retry_delay_s, 3600.0);
    expect_usage_error({"--retry-delay", "3601"}, "--retry-delay");
    expect_usage_error({"--retry-delay", "-0.5"}, "--retry-delay");
    expect_usage_error({"--retry-delay", "soon"}, "--retry-delay");
}

TEST(ParseCommandLine, RetryMaxWaitAcceptsZeroToADay) {
    EXPECT_EQ(parse_ok({"--retry-max-wait", "0"}).transfer.retry_max_wait_s, 0.0);
    EXPECT_EQ(parse_ok({"--retry-max-wait", "2.5"}).transfer.retry_max_wait_s, 2.5);
    EXPECT_EQ(parse_ok({"--retry-max-wait", "86400"}).transfer.retry_max_wait_s, 86400.0);
    expect_usage_error({"--retry-max-wait", "86401"}, "--retry-max-wait");
    expect_usage_error({"--retry-max-wait", "-1"}, "--retry-max-wait");
}

TEST(ParseCommandLine, TimeoutAcceptsZeroForNoneUpToADay) {
    EXPECT_EQ(parse_ok({"--timeout", "0"}).transfer.timeout_s, 0.0);
    EXPECT_EQ(parse_ok({"--timeout", "2.5"}).transfer.timeout_s, 2.5);
    EXPECT_EQ(parse_ok({"--timeout", "86400"}).transfer.timeout_s, 86400.0);
    expect_usage_error({"--timeout", "86401"}, "--timeout");
    expect_usage_error({"--timeout", "-1"}, "--timeout");
    expect_usage_error({"--timeout", "1m"}, "--timeout");
}

TEST(ParseCommandLine, MaxSizeTakesASizeWithSuffixAndZeroMeansNoLimit) {
    EXPECT_EQ(parse_ok({"--max-size", "0"}).transfer.max_size, 0U);
    EXPECT_EQ(parse_ok({"--max-size", "1500"}).transfer.max_size, 1500U);
    EXPECT_EQ(parse_ok({"--max-size", "10M"}).transfer.max_size, 10 * k_mib);
    EXPECT_EQ(parse_ok({"--max-size=2GiB"}).transfer.max_size, 2 * k_gib);
}

TEST(ParseCommandLine, MaxSizeThatIsNotASizeIsAUsageError) {
    for (const char* bad : {"1.5M", "-1", "ten", "1T", "99999999999999999999", "17179869184G"}) {
        expect_usage_error({"--max-size", bad}, "--max-size");
    }
    expect_usage_error({"--max-size="}, "--max-size");
}

TEST(ParseCommandLine, CacertMustNameAnExistingFile) {
    const test::TempDir temp;
    const auto bundle = temp / "ca.pem";
    test::write_file(bundle, "-----BEGIN CERTIFICATE-----\n");

    EXPECT_EQ(parse_ok({"--cacert", bundle.string()}).transfer.cacert, bundle.string());
    expect_usage_error({"--cacert", (temp / "missing.pem").string()}, "--cacert");
    expect_usage_error({"--cacert", temp.path().string()}, "--cacert"); // a directory
}

TEST(ParseCommandLine, InsecureHasAShortAndALongForm) {
    EXPECT_TRUE(parse_ok({"-k"}).transfer.insecure);
    EXPECT_TRUE(parse_ok({"--insecure"}).transfer.insecure);
}

TEST(ParseCommandLine, ContentDispositionIsAFlag) {
    EXPECT_TRUE(parse_ok({"--content-disposition"}).transfer.content_disposition);
    expect_usage_error({"--content-disposition=yes-please"}, "--content-disposition");
}

TEST(ParseCommandLine, ConnectTimeoutAcceptsOneSecondToAnHour) {
    EXPECT_EQ(parse_ok({"--connect-timeout", "1"}).transfer.connect_timeout_s, 1);
    EXPECT_EQ(parse_ok({"--connect-timeout", "3600"}).transfer.connect_timeout_s, 3600);
    expect_usage_error({"--connect-timeout", "0"}, "--connect-timeout");
    expect_usage_error({"--connect-timeout", "3601"}, "--connect-timeout");
    expect_usage_error({"--connect-timeout", "-5"}, "--connect-timeout");
}

TEST(ParseCommandLine, StallTimeoutAcceptsOneSecondToAnHour) {
    EXPECT_EQ(parse_ok({"--stall-timeout", "1"}).transfer.stall_timeout_s, 1);
    EXPECT_EQ(parse_ok({"--stall-timeout", "3600"}).transfer.stall_timeout_s, 3600);
    expect_usage_error({"--stall-timeout", "0"}, "--stall-timeout");
    expect_usage_error({"--stall-timeout", "3601"}, "--stall-timeout");
}

TEST(ParseCommandLine, ReliabilityOptionsCombine) {
    const Options options =
        parse_ok({"--retries", "5", "--retry-delay", "0.1", "--retry-max-wait", "2", "--timeout",
                  "30", "--max-size", "512k", "-k", "--content-disposition", "--connect-timeout",
                  "3", "--stall-timeout", "4"});

    EXPECT_EQ(options.transfer.retries, 5U);
    EXPECT_EQ(options.transfer.retry_delay_s, 0.1);
    EXPECT_EQ(options.transfer.retry_max_wait_s, 2.0);
    EXPECT_EQ(options.transfer.timeout_s, 30.0);
    EXPECT_EQ(options.transfer.max_size, 512 * k_kib);
    EXPECT_TRUE(options.transfer.insecure);
    EXPECT_TRUE(options.transfer.content_disposition);
    EXPECT_EQ(options.transfer.connect_timeout_s, 3);
    EXPECT_EQ(options.transfer.stall_timeout_s, 4);
    EXPECT_EQ(options.input.lists, std::vector<std::string>{"urls.txt"});
}

} // namespace
} // namespace imgfetch
