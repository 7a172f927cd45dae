// Retries and size limits on the command line of the real executable: --retries, --retry-delay,
// --retry-max-wait and --max-size with a unit suffix.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "support/resilience.hpp"
#include "support/run_process.hpp"

namespace imgfetch {
namespace {

using test::Arrivals;
using test::contains;
using test::fake_png;
using test::list_dir;
using test::ResilienceRun;
using test::seconds_since;
using test::serve_flaky;
using test::SteadyClock;

class ResilienceCli : public ResilienceRun {};

TEST_F(ResilienceCli, TheRetriesOptionSetsTheNumberOfExtraAttempts) {
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 100, arrivals);
    const auto result = test::run_imgfetch(
        {write_list({server.url("/busy.png")}), "-o", options.outputs.output_dir, "--report",
         options.outputs.report_file, "--retries", "1", "--retry-delay", "0.01"},
        temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(report()["files"][0]["attempts"], 2);
    EXPECT_EQ(arrivals.count(), 2U);
    EXPECT_TRUE(contains(result.err, "HTTP 503")) << result.err;
}

TEST_F(ResilienceCli, RetriesThreeTimesByDefault) {
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 100, arrivals);
    const auto result =
        test::run_imgfetch({write_list({server.url("/busy.png")}), "-o", options.outputs.output_dir,
                            "--report", options.outputs.report_file, "--retry-delay", "0.01"},
                           temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(report()["files"][0]["attempts"], 4);
    EXPECT_EQ(arrivals.count(), 4U);
}

TEST_F(ResilienceCli, TheRetryDelaySetsTheFirstBackoff) {
    Arrivals arrivals;
    serve_flaky(server, "/busy.png", 503, 1, arrivals);
    const auto result =
        test::run_imgfetch({write_list({server.url("/busy.png")}), "-o", options.outputs.output_dir,
                            "--retries", "1", "--retry-delay", "0.5"},
                           temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    ASSERT_EQ(arrivals.gaps().size(), 1U);
    EXPECT_GE(arrivals.gaps()[0], 0.25) << "at least half the delay, jitter included";
}

TEST_F(ResilienceCli, TheRetryMaxWaitCapsTheServersRetryAfter) {
    Arrivals arrivals;
    serve_flaky(server, "/later.png", 503, 1, arrivals, "30");
    const auto start = SteadyClock::now();

    const auto result = test::run_imgfetch({write_list({server.url("/later.png")}), "-o",
                                            options.outputs.output_dir, "--retries", "1",
                                            "--retry-max-wait", "0.2"},
                                           temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(arrivals.count(), 2U);
    EXPECT_LT(seconds_since(start), 10.0) << "not the server's 30 s";
}

TEST_F(ResilienceCli, MaxSizeAcceptsAUnitSuffix) {
    const auto chunked_png = [](std::size_t size) {
        return [size](const httplib::Request&, httplib::Response& res) {
            res.set_chunked_content_provider("image/png",
                                             [size](std::size_t offset, httplib::DataSink& sink) {
                                                 if (offset > 0) {
                                                     sink.done();
                                                     return true;
                                                 }
                                                 const std::string body = fake_png(8, size - 8);
                                                 return sink.write(body.data(), body.size());
                                             });
        };
    };
    server.server().Get("/big.png", chunked_png(20'000));
    server.server().Get("/small.png", chunked_png(5'000));

    const auto result =
        test::run_imgfetch({write_list({server.url("/big.png"), server.url("/small.png")}), "-o",
                            options.outputs.output_dir, "--max-size", "10k"},
                           temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_TRUE(contains(result.err, "larger than --max-size (10240 bytes)")) << result.err;
    EXPECT_EQ(list_dir(options.outputs.output_dir), std::vector<std::string>{"small.png"});
}

TEST_F(ResilienceCli, AMalformedMaxSizeIsAUsageError) {
    for (const char* bad : {"10x", "k", "-5", "99999999999999999999"}) {
        const auto result =
            test::run_imgfetch({"--max-size", bad, "-o", options.outputs.output_dir}, temp.path());
        EXPECT_EQ(result.exit_code, 2) << bad;
    }
}

} // namespace
} // namespace imgfetch
