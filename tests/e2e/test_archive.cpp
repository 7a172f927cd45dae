// --archive through the real executable against a loopback server: a rerun makes no request
// for an archived URL even after its file was deleted or moved, --existing update asks with the
// archive's ETag, a corrupt archive is exit 2, and two shards running at once as two processes
// share one archive.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace archive_e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The rows of `file` as url -> path, read by a connection of the test's own.
std::map<std::string, std::string> archived_rows(const fs::path& file) {
    std::map<std::string, std::string> rows;
    sqlite3* db = nullptr;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT url, path FROM downloads", -1, &statement, nullptr) ==
            SQLITE_OK) {
        while (sqlite3_step(statement) == SQLITE_ROW) {
            rows[reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))] =
                reinterpret_cast<const char*>(sqlite3_column_text(statement, 1));
        }
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows;
}

// /img/<n>.png serves fake_png(n) with ETag "v<version>" and answers 304 to a matching
// If-None-Match; every request's path and If-None-Match are counted.
class ArchiveRuns : public ::testing::Test {
protected:
    void SetUp() override {
        server.server().Get(
            R"(/img/(\d+)\.png)", [this](const httplib::Request& req, httplib::Response& res) {
                const std::string etag = "\"v" + std::to_string(version.load()) + "\"";
                {
                    const std::lock_guard<std::mutex> lock(mutex); // requests, if_none_match
                    ++requests[req.path];
                    if (req.has_header("If-None-Match")) {
                        if_none_match.push_back(req.get_header_value("If-None-Match"));
                    }
                }
                res.set_header("ETag", etag);
                if (req.get_header_value("If-None-Match") == etag) {
                    res.status = 304;
                    return;
                }
                res.set_content(test::fake_png(std::stoul(req.matches[1])), "image/png");
            });
    }

    void write_list(int count, const std::string& userinfo = "") {
        std::string text;
        for (int i = 0; i < count; ++i) {
            std::string url = server.url("/img/" + std::to_string(i) + ".png");
            if (!userinfo.empty()) {
                url.insert(url.find("://") + 3, userinfo + "@");
            }
            text += url + "\n";
        }
        test::write_file(temp / "list.txt", text);
    }

    std::vector<std::string> args(std::vector<std::string> more) const {
        std::vector<std::string> all{(temp / "list.txt").string(),
                                     "-o",
                                     (temp / "out").string(),
                                     "--archive",
                                     archive.string(),
                                     "--report",
                                     (temp / "report.json").string()};
        all.insert(all.end(), more.begin(), more.end());
        return all;
    }

    test::ProcessResult run_with(std::vector<std::string> more = {}) {
        return test::run_imgfetch(args(std::move(more)), temp.path());
    }

    int total_requests() {
        const std::lock_guard<std::mutex> lock(mutex);
        int total = 0;
        for (const auto& [path, count] : requests) {
            total += count;
        }
        return total;
    }

    nlohmann::json report_files() const {
        return nlohmann::json::parse(test::read_file(temp / "report.json"))["files"];
    }

    test::TestServer server;
    test::TempDir temp;
    fs::path archive = temp / "archive.sqlite";
    std::atomic<int> version{1};
    std::mutex mutex; // guards requests and if_none_match (the server's threads, the test)
    std::map<std::string, int> requests;
    std::vector<std::string> if_none_match;
};

TEST_F(ArchiveRuns, ARerunSkipsEveryArchivedUrlEvenWhenItsFileWasDeletedOrMoved) {
    write_list(2, "user:s3cret");
    const auto first = run_with();
    ASSERT_EQ(first.exit_code, 0) << first.err;
    ASSERT_EQ(total_requests(), 2);
    fs::remove(temp / "out" / "0.png");
    fs::create_directory(temp / "out" / "sorted");
    fs::rename(temp / "out" / "1.png", temp / "out" / "sorted" / "1.png");

    const auto again = run_with();

    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(total_requests(), 2) << "no request for an archived URL";
    EXPECT_FALSE(fs::exists(temp / "out" / "0.png"));
    const nlohmann::json files = report_files();
    ASSERT_EQ(files.size(), 2U);
    EXPECT_EQ(files[0]["status"], "skipped");
    EXPECT_EQ(files[0]["attempts"], 0);
    EXPECT_EQ(files[0]["path"], (temp / "out" / "0.png").string()) << "the archived path";
    EXPECT_TRUE(test::contains(files[1]["reason"].get<std::string>(), "in the archive"));
    const std::map<std::string, std::string> rows = archived_rows(archive);
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows.begin()->second, "0.png") << "paths are relative to DIR";
    EXPECT_TRUE(test::contains(rows.begin()->first, "://***@127.0.0.1")) << rows.begin()->first;
    EXPECT_FALSE(test::contains(test::read_file(archive), "s3cret")) << "no password in the file";

    ASSERT_EQ(run_with({"--existing", "overwrite"}).exit_code, 0);
    EXPECT_EQ(total_requests(), 4) << "overwrite fetches again anyway";
}

TEST_F(ArchiveRuns, ExistingUpdateAsksWithTheArchivesEtagEvenWhenTheFileWasMoved) {
    write_list(1);
    ASSERT_EQ(run_with().exit_code, 0);
    fs::rename(temp / "out" / "0.png", temp / "moved.png");

    const auto unchanged = run_with({"--existing", "update"});

    ASSERT_EQ(unchanged.exit_code, 0) << unchanged.err;
    EXPECT_EQ(report_files()[0]["status"], "not_modified");
    EXPECT_FALSE(fs::exists(temp / "out" / "0.png")) << "a 304 does not bring it back";
    {
        const std::lock_guard<std::mutex> lock(mutex);
        ASSERT_EQ(if_none_match.size(), 1U);
        EXPECT_EQ(if_none_match[0], "\"v1\"");
    }

    version = 2; // the server's copy changed: a 200 saves it again and updates the row
    const auto changed = run_with({"--existing", "update"});

    ASSERT_EQ(changed.exit_code, 0) << changed.err;
    EXPECT_EQ(report_files()[0]["status"], "ok");
    EXPECT_TRUE(fs::exists(temp / "out" / "0.png"));
    ASSERT_EQ(run_with({"--existing", "update"}).exit_code, 0);
    const std::lock_guard<std::mutex> lock(mutex);
    ASSERT_EQ(if_none_match.size(), 3U);
    EXPECT_EQ(if_none_match[2], "\"v2\"") << "the row holds the new ETag";
}

TEST_F(ArchiveRuns, ACorruptArchiveIsExitTwoBeforeAnyRequest) {
    write_list(2);
    test::write_file(archive, "SQLite format 3" + std::string(4096, '\x7f'));

    const auto result = run_with();

    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_TRUE(test::contains(result.err, archive.string())) << result.err;
    EXPECT_EQ(total_requests(), 0);
}

TEST_F(ArchiveRuns, TwoShardsRunningAtOnceShareOneArchiveAndAThirdRunSkipsEverything) {
    constexpr int k_urls = 40;
    write_list(k_urls);
    std::vector<std::unique_ptr<test::ChildProcess>> shards;
    for (const std::string shard : {"0/2", "1/2"}) {
        const std::string name = "shard-" + shard.substr(0, 1);
        std::vector<std::string> shard_args{(temp / "list.txt").string(),
                                            "-o",
                                            (temp / "out").string(),
                                            "--archive",
                                            archive.string(),
                                            "--shard",
                                            shard,
                                            "-j",
                                            "4"};
        shards.push_back(std::make_unique<test::ChildProcess>(
            test::imgfetch_argv(shard_args),
            test::ChildProcess::Io{"/dev/null", temp / (name + ".out"), temp / (name + ".err")}));
    }
    for (const auto& shard : shards) {
        EXPECT_EQ(shard->wait_for_exit(60s), test::exited_with(0)) << shard->err();
    }
    EXPECT_EQ(total_requests(), k_urls);
    EXPECT_EQ(archived_rows(archive).size(), static_cast<std::size_t>(k_urls)) << "every URL once";
    for (const auto& entry : fs::directory_iterator(temp / "out")) {
        if (entry.path().extension() == ".png") {
            fs::remove(entry.path()); // only the archive can tell the third run what was fetched
        }
    }

    const auto third = run_with();

    EXPECT_EQ(third.exit_code, 0) << third.err;
    EXPECT_EQ(total_requests(), k_urls) << "the third run made no request";
    for (const nlohmann::json& file : report_files()) {
        EXPECT_EQ(file["status"], "skipped") << file.dump();
    }
}

} // namespace archive_e2e
} // namespace imgfetch
