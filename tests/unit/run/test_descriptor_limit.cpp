// -j up to 512 under a low descriptor limit: the run raises its soft RLIMIT_NOFILE as far as
// it needs, and when the hard limit is too low runs with fewer workers and says so once,
// instead of failing files with "Too many open files". The executable runs under util-linux's
// prlimit, which sets the limits for it alone (the test server keeps the test's own).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::read_file;
using test::TempDir;

class DescriptorLimit : public ::testing::Test {
protected:
    void SetUp() override {
        server.server().Get(R"(/(\d+)\.png)",
                            [this](const httplib::Request&, httplib::Response& response) {
                                response.set_content(image, "image/png");
                            });
        std::string list;
        for (int i = 0; i < k_urls; ++i) {
            list += server.url("/" + std::to_string(i) + ".png") + "\n";
        }
        test::write_file(temp / "list.txt", list);
    }

    // Runs imgfetch with `jobs` workers under `nofile` ("SOFT:HARD"); returns the exit code.
    int run_under(const std::string& nofile, unsigned jobs) {
        test::ChildProcess child({"/usr/bin/prlimit", "--nofile=" + nofile, IMGFETCH_EXE,
                                  (temp / "list.txt").string(), "-o", (temp / "out").string(), "-j",
                                  std::to_string(jobs), "--retries", "0", "--no-progress",
                                  "--report", (temp / "report.json").string()},
                                 {"/dev/null", temp / "stdout.txt", temp / "stderr.txt"});
        const std::optional<test::ExitStatus> status = child.wait_for_exit(120s);
        return status ? status->code : -1000; // -1000: still running after two minutes
    }

    std::string stderr_text() { return read_file(temp / "stderr.txt"); }

    static constexpr int k_urls = 300;
    const std::string image = test::fake_png(5, 3000);
    test::TestServer server;
    TempDir temp;
};

TEST_F(DescriptorLimit, ALowHardLimitRunsFewerWorkersSaysSoOnceAndFetchesEveryFile) {
    const int exit_code = run_under("64:64", 128);

    const std::string err = stderr_text();
    ASSERT_EQ(exit_code, 0) << err;
    const json report = json::parse(read_file(temp / "report.json"));
    ASSERT_EQ(report["files"].size(), static_cast<std::size_t>(k_urls));
    for (const json& file : report["files"]) {
        EXPECT_EQ(file["status"], "ok") << file.dump();
    }
    const unsigned jobs = report["jobs"];
    EXPECT_GE(jobs, 1U);
    EXPECT_LT(jobs, 128U);
    const std::string warning = "the open-file limit (64, hard limit 64) leaves room for";
    const auto first = err.find(warning);
    ASSERT_NE(first, std::string::npos) << err;
    EXPECT_EQ(err.find(warning, first + 1), std::string::npos) << "said once: " << err;
    EXPECT_NE(err.find("not 128"), std::string::npos) << err;
    EXPECT_EQ(err.find("Too many open files"), std::string::npos) << err;
}

TEST_F(DescriptorLimit, ALowSoftLimitIsRaisedTowardTheHardOneForEveryWorker) {
    const int exit_code = run_under("64:8192", 48);

    const std::string err = stderr_text();
    ASSERT_EQ(exit_code, 0) << err;
    const json report = json::parse(read_file(temp / "report.json"));
    EXPECT_EQ(report["jobs"], 48) << "all the workers asked for";
    ASSERT_EQ(report["files"].size(), static_cast<std::size_t>(k_urls));
    for (const json& file : report["files"]) {
        EXPECT_EQ(file["status"], "ok") << file.dump();
    }
    EXPECT_EQ(err.find("open-file limit"), std::string::npos) << err;
}

} // namespace
} // namespace imgfetch
