// The whole pipeline in-process (imgfetch::run) against a real loopback server.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include "imgfetch/app.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/timing.hpp"

namespace imgfetch {
namespace {

using test::seconds_of;

using nlohmann::json;
using test::fake_png;
using test::list_dir;
using test::read_file;
using test::TempDir;
using test::TestServer;

// A server with /img/<i>.png (optional per-request delay) that counts requests per path and
// records peak concurrency.
class RunTest : public ::testing::Test {
protected:
    void SetUp() override {
        server.server().Get(R"(/img/(\d+)\.png)",
                            [this](const httplib::Request& req, httplib::Response& res) {
                                const test::ConcurrencyGauge::Scope in_flight(gauge);
                                count_request(req.path);
                                if (delay.count() > 0) {
                                    // The server is the slow party here: this sleep is the
                                    // simulated latency.
                                    std::this_thread::sleep_for(delay);
                                }
                                res.set_content(fake_png(std::stoul(req.matches[1])), "image/png");
                            });
    }

    void count_request(const std::string& path) {
        std::lock_guard lock(requests_mutex);
        ++requests[path];
    }

    int requests_for(const std::string& path) {
        std::lock_guard lock(requests_mutex);
        return requests[path];
    }

    std::string write_list(const std::string& text) {
        const auto path = temp / "urls.txt";
        test::write_file(path, text);
        return path.string();
    }

    std::string image_list(int count) {
        std::string text;
        for (int i = 0; i < count; ++i) {
            text += server.url("/img/" + std::to_string(i) + ".png") + "\n";
        }
        return write_list(text);
    }

    Options options_for(const std::string& list) {
        Options options;
        options.input.lists = {list};
        options.outputs.output_dir = (temp / "out").string();
        options.outputs.report_file = (temp / "report.json").string();
        return options;
    }

    json report() { return json::parse(read_file(temp / "report.json")); }

    TestServer server;
    TempDir temp;
    test::ConcurrencyGauge gauge;
    std::chrono::milliseconds delay{0};
    std::mutex requests_mutex; // guards requests
    std::map<std::string, int> requests;
};

TEST_F(RunTest, PoolDownloadsEveryImageByteForByte) {
    Options options = options_for(image_list(30));
    options.politeness.jobs = 4;

    EXPECT_EQ(run(options), 0);

    ASSERT_EQ(list_dir(temp / "out").size(), 30U);
    for (int i = 0; i < 30; ++i) {
        EXPECT_EQ(read_file(temp / "out" / (std::to_string(i) + ".png")), fake_png(i)) << i;
    }
}

TEST_F(RunTest, SequentialDownloadsEveryImageByteForByteInOrder) {
    Options options = options_for(image_list(10));
    options.politeness.sequential = true;

    EXPECT_EQ(run(options), 0);

    const json r = report();
    EXPECT_EQ(r["mode"], "sequential");
    EXPECT_EQ(r["jobs"], 1);
    double previous_end = 0;
    for (const json& file : r["files"]) {
        EXPECT_EQ(file["worker"], 0);
        EXPECT_GE(file["start"].get<double>(), previous_end) << "one after another";
        previous_end = file["end"].get<double>();
    }
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(read_file(temp / "out" / (std::to_string(i) + ".png")), fake_png(i));
    }
    EXPECT_EQ(gauge.peak(), 1);
}

TEST_F(RunTest, PoolIsClearlyFasterThanSequentialWhenEachRequestWaits) {
    delay = std::chrono::milliseconds(100);
    const std::string list = image_list(16);
    Options sequential = options_for(list);
    sequential.politeness.sequential = true;
    sequential.outputs.output_dir = (temp / "seq").string();
    Options pool = options_for(list);
    pool.politeness.jobs = 8;
    pool.outputs.output_dir = (temp / "pool").string();

    const double sequential_s = seconds_of([&] { EXPECT_EQ(run(sequential), 0); });
    const double pool_s = seconds_of([&] { EXPECT_EQ(run(pool), 0); });

    // Ideal ratio is 8 (16 x 0.1 s vs 2 x 0.1 s); demand 3 to leave a wide margin.
    EXPECT_GT(sequential_s / pool_s, 3.0) << sequential_s << " s vs " << pool_s << " s";
}

TEST_F(RunTest, PeakConcurrencyOnTheServerNeverExceedsJobs) {
    delay = std::chrono::milliseconds(30);
    Options options = options_for(image_list(40));
    options.politeness.jobs = 3;

    EXPECT_EQ(run(options), 0);

    EXPECT_LE(gauge.peak(), 3);
    EXPECT_GE(gauge.peak(), 2) << "the workers ran in parallel";
}

TEST_F(RunTest, CollidingNamesGetNumberedInListOrder) {
    server.server().Get(R"(/(a|b|c)/photo\.jpg)",
                        [](const httplib::Request& req, httplib::Response& res) {
                            res.set_content(test::fake_jpeg(req.matches[1].str()[0]), "image/jpeg");
                        });
    Options options =
        options_for(write_list(server.url("/a/photo.jpg") + "\n" + server.url("/b/photo.jpg") +
                               "\n" + server.url("/c/photo.jpg") + "\n"));

    EXPECT_EQ(run(options), 0);

    EXPECT_EQ(list_dir(temp / "out"),
              (std::vector<std::string>{"photo-2.jpg", "photo-3.jpg", "photo.jpg"}));
    EXPECT_EQ(read_file(temp / "out" / "photo.jpg"), test::fake_jpeg('a'));
    EXPECT_EQ(read_file(temp / "out" / "photo-2.jpg"), test::fake_jpeg('b'));
    EXPECT_EQ(read_file(temp / "out" / "photo-3.jpg"), test::fake_jpeg('c'));
}

TEST_F(RunTest, TheSameUrlTwiceIsFetchedOnceAndReportedAsDuplicate) {
    const std::string url = server.url("/img/7.png");
    Options options = options_for(write_list(url + "\n" + url + "\n"));

    EXPECT_EQ(run(options), 0);

    EXPECT_EQ(requests_for("/img/7.png"), 1);
    const json r = report();
    EXPECT_EQ(r["summary"]["ok"], 1);
    EXPECT_EQ(r["summary"]["duplicate"], 1);
    EXPECT_EQ(r["files"][1]["status"], "duplicate");
    EXPECT_EQ(r["files"][1]["line"], 2);
    EXPECT_EQ(r["files"][1]["path"], r["files"][0]["path"]);
}

TEST_F(RunTest, AnInvalidLineFailsWithItsLineNumberAndTheRestStillRuns) {
    Options options = options_for(write_list("# images\n" + server.url("/img/1.png") +
                                             "\nftp://example.invalid/x.png\n\n" +
                                             server.url("/img/2.png") + "\n"));

    EXPECT_EQ(run(options), 1);

    EXPECT_EQ(list_dir(temp / "out"), (std::vector<std::string>{"1.png", "2.png"}));
    const json r = report();
    EXPECT_EQ(r["summary"]["failed"], 1);
    EXPECT_EQ(r["summary"]["ok"], 2);
    const json& bad = r["files"][1];
    EXPECT_EQ(bad["line"], 3);
    EXPECT_EQ(bad["status"], "failed");
    EXPECT_NE(bad["error"].get<std::string>().find("urls.txt:3:"), std::string::npos);
}

TEST_F(RunTest, ANonImageIsRejectedAndTheExitCodeSaysSo) {
    server.server().Get("/page.jpg", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("<html><body>login</body></html>", "text/html");
    });
    Options options = options_for(write_list(server.url("/page.jpg") + "\n"));

    EXPECT_EQ(run(options), 1);

    EXPECT_TRUE(list_dir(temp / "out").empty());
    EXPECT_EQ(report()["files"][0]["error"], "not an image (text/html)");
}

TEST_F(RunTest, ANameColumnSavesUnderThatName) {
    Options options = options_for(write_list(server.url("/img/3.png") + "  cover art.png\n"));

    EXPECT_EQ(run(options), 0);

    EXPECT_EQ(read_file(temp / "out" / "cover art.png"), fake_png(3));
}

TEST_F(RunTest, ReportHasEveryFieldOfVersionOne) {
    Options options = options_for(write_list(server.url("/img/1.png") + "\nnot a url\n"));
    options.politeness.jobs = 2;

    EXPECT_EQ(run(options), 1);

    const json r = report();
    EXPECT_EQ(r["version"], 1);
    EXPECT_EQ(r["mode"], "pool");
    EXPECT_EQ(r["jobs"], 2);
    EXPECT_TRUE(r["started"].is_string());
    EXPECT_GE(r["seconds"].get<double>(), 0.0);
    EXPECT_EQ(r["summary"], json({{"total", 2},
                                  {"ok", 1},
                                  {"failed", 1},
                                  {"skipped", 0},
                                  {"not_modified", 0},
                                  {"duplicate", 0},
                                  {"filtered", 0},
                                  {"bytes", fake_png(1).size()},
                                  // one keep-alive connection for both; no https
                                  {"connections", 1},
                                  {"tls_handshakes", 0}}));
    const json& ok = r["files"][0];
    EXPECT_EQ(ok["line"], 1);
    EXPECT_EQ(ok["url"], server.url("/img/1.png"));
    EXPECT_EQ(ok["path"], (temp / "out" / "1.png").string());
    EXPECT_EQ(ok["status"], "ok");
    EXPECT_EQ(ok["http_status"], 200);
    EXPECT_EQ(ok["http_version"], "1.1"); // plain http
    EXPECT_EQ(ok["bytes"], fake_png(1).size());
    EXPECT_EQ(ok["attempts"], 1);
    EXPECT_TRUE(ok["worker"].is_number_unsigned());
    EXPECT_LT(ok["worker"].get<unsigned>(), 2U);
    EXPECT_TRUE(ok["start"].is_number());
    EXPECT_TRUE(ok["end"].is_number());
    EXPECT_TRUE(ok["error"].is_null());
    EXPECT_TRUE(ok["sha256"].is_null()) << "no --checksum";
    EXPECT_EQ(ok["resumed_from"], 0) << "no --resume";
    const json& bad = r["files"][1];
    for (const char* key : {"url", "path", "http_status", "http_version", "worker", "start", "end",
                            "sha256", "page"}) {
        EXPECT_TRUE(bad[key].is_null()) << key;
    }
    EXPECT_EQ(bad.size(), 23U);
}

TEST_F(RunTest, ListsAreReadInOrder) {
    const auto first = temp / "first.txt";
    const auto second = temp / "second.txt";
    test::write_file(first, server.url("/img/1.png") + "\n");
    test::write_file(second, server.url("/img/2.png") + "\n" + server.url("/img/1.png") + "\n");
    Options options = options_for(first.string());
    options.input.lists.push_back(second.string());

    EXPECT_EQ(run(options), 0);

    const json r = report();
    ASSERT_EQ(r["files"].size(), 3U);
    EXPECT_EQ(r["files"][0]["url"], server.url("/img/1.png"));
    EXPECT_EQ(r["files"][1]["url"], server.url("/img/2.png"));
    EXPECT_EQ(r["files"][2]["status"], "duplicate");
}

} // namespace
} // namespace imgfetch
