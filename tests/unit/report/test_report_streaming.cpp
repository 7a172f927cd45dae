// --report, --failed-list and --timeline of a long list whose first URL is held back: the real
// executable against a real loopback server.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <string>

#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::fake_png;
using test::read_file;
using test::run_imgfetch;
using test::TempDir;
using test::TestServer;

// More than the results ResultOrder keeps waiting in memory (1024): the rest must spill.
constexpr std::size_t k_others = 3000;

TEST(ReportStreaming, AFirstUrlAnsweredLastStillLeadsTheReportAndEveryListIsInListOrder) {
    TempDir temp;
    // Declared before the server, so they outlive its handler threads.
    std::mutex mutex; // guards served
    std::condition_variable all_served;
    std::size_t served = 0;
    TestServer server;
    server.server().Get("/slow.png", [&](const httplib::Request&, httplib::Response& res) {
        // Answered only once every other URL has been: its result arrives last of all. The
        // timeout only keeps a broken run from hanging the suite.
        std::unique_lock lock(mutex);
        all_served.wait_for(lock, std::chrono::minutes(2), [&] { return served == k_others; });
        res.set_content(fake_png(0), "image/png");
    });
    server.server().Get(R"(/gone/(\d+)\.png)",
                        [&](const httplib::Request&, httplib::Response& res) {
                            res.status = 404;
                            std::lock_guard lock(mutex);
                            ++served;
                            all_served.notify_all(); // under the lock: the waiter cannot miss it
                        });
    std::string list = server.url("/slow.png") + "\n";
    for (std::size_t i = 1; i <= k_others; ++i) {
        list += server.url("/gone/" + std::to_string(i) + ".png") + "\n";
    }
    list += server.url("/slow.png") + "\n"; // a duplicate of the held-back one
    test::write_file(temp / "urls.txt", list);
    const std::string out = (temp / "out").string();
    const std::string report = (temp / "report.json").string();
    const std::string failed = (temp / "failed.txt").string();
    const std::string timeline = (temp / "timeline.svg").string();

    const auto run =
        run_imgfetch({(temp / "urls.txt").string(), "-j", "8", "--retries", "0", "-q", "-o", out,
                      "--report", report, "--failed-list", failed, "--timeline", timeline},
                     temp.path());

    ASSERT_EQ(run.exit_code, 1) << run.err.substr(0, 2000);
    const nlohmann::json parsed = nlohmann::json::parse(read_file(report));
    const auto& files = parsed["files"];
    ASSERT_EQ(files.size(), k_others + 2);
    EXPECT_EQ(parsed["summary"]["total"], k_others + 2);
    EXPECT_EQ(parsed["summary"]["failed"], k_others);
    EXPECT_EQ(files[0]["status"], "ok");
    EXPECT_EQ(files[0]["path"], out + "/slow.png");
    for (std::size_t i = 0; i < files.size(); ++i) {
        ASSERT_EQ(files[i]["line"], i + 1) << "list order";
    }
    for (std::size_t i = 1; i <= k_others; ++i) {
        ASSERT_EQ(files[i]["url"], server.url("/gone/" + std::to_string(i) + ".png"));
        ASSERT_EQ(files[i]["http_status"], 404);
    }
    EXPECT_EQ(files[k_others + 1]["status"], "duplicate");
    EXPECT_EQ(files[k_others + 1]["path"], out + "/slow.png") << "its first occurrence's file";

    std::istringstream lines(read_file(failed));
    std::string line;
    std::size_t count = 0;
    while (std::getline(lines, line)) {
        ++count;
        ASSERT_EQ(line, server.url("/gone/" + std::to_string(count) + ".png") + " " +
                            std::to_string(count) + ".png");
    }
    EXPECT_EQ(count, k_others);

    const std::string svg = read_file(timeline);
    EXPECT_NE(svg.find(std::to_string(k_others + 1) + " transfers"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(report + ".part"));
}

} // namespace
} // namespace imgfetch
