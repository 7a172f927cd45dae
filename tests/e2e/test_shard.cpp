// Sharded runs of the real executable against a real server: concurrent shards in one
// directory fetch each URL once, GNU parallel, --shard auto from Kubernetes and Slurm variables,
// and the exit codes of refused runs. Parsing and hashing are tested in-process in
// tests/unit/list/test_shard.cpp.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "imgfetch/files/dir_lock.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/list/shard.hpp"
#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using json = nlohmann::json;
using test::ChildProcess;
using test::exited_with;
using test::ExitStatus;
using test::find_on_path;
using test::TempDir;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// The real executable against a real server

// Requests per path, written by the server's threads. Declared before the server in the fixture,
// so it outlives every handler. Thread-safe: one mutex guards everything.
class RequestLog {
public:
    // Until every shard in `shard_of`'s values has made a request, a request waits (at most
    // `deadline`): the shards' runs provably overlap in time. Set before the runs start.
    void require_overlap(std::map<std::string, unsigned> shard_of, std::size_t shards) {
        std::lock_guard lock(m_mutex);
        m_shard_of = std::move(shard_of);
        m_shards = shards;
    }

    void record(const std::string& path) {
        std::unique_lock lock(m_mutex);
        ++m_counts[path];
        const auto it = m_shard_of.find(path);
        if (it == m_shard_of.end()) {
            return;
        }
        m_seen.insert(it->second);
        // Notified under the lock: waiters re-check m_seen, which this lock guards.
        m_all_seen.notify_all();
        // After one timeout nobody waits any more: a failing test fails fast.
        if (!m_all_seen.wait_for(
                lock, 30s, [this] { return m_seen.size() >= m_shards || m_overlap_timed_out; })) {
            m_overlap_timed_out = true;
            m_all_seen.notify_all();
        }
    }

    std::map<std::string, int> take_counts() {
        std::lock_guard lock(m_mutex);
        m_shard_of.clear();
        m_seen.clear();
        return std::exchange(m_counts, {});
    }

    bool overlap_timed_out() {
        std::lock_guard lock(m_mutex);
        return m_overlap_timed_out;
    }

private:
    std::mutex m_mutex; // guards every member below
    std::condition_variable m_all_seen;
    std::map<std::string, int> m_counts;
    std::map<std::string, unsigned> m_shard_of;
    std::set<unsigned> m_seen;
    std::size_t m_shards = 0;
    bool m_overlap_timed_out = false;
};

// Files in a directory by name (imgfetch's dot files left out) with their contents.
std::map<std::string, std::string> files_in(const std::filesystem::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.front() != '.') {
            files.emplace(name, test::read_file(entry.path()));
        }
    }
    return files;
}

// The variables --shard auto reads, unset for a hermetic child (CI may itself run in Slurm).
const std::vector<std::string> k_scheduler_variables{
    "JOB_COMPLETION_INDEX",   "SLURM_ARRAY_TASK_ID",  "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP",
    "IMGFETCH_SHARD",         "IMGFETCH_SHARDS"};

class ShardedRuns : public ::testing::Test {
protected:
    static constexpr int k_distinct = 50;
    static constexpr int k_duplicates = 10;

    ShardedRuns() {
        server.server().Get(R"(/img/.+)", [log = &log](const httplib::Request& request,
                                                       httplib::Response& response) {
            log->record(request.path);
            response.set_content(test::fake_png(std::hash<std::string>{}(request.path)),
                                 "image/png");
        });
        // 50 distinct URLs: every fifth named "same.png" (same-2.png, ... in list order), one
        // without an extension (it gets ".png" from the response), one with a NAME column;
        // then 10 repeats and one bad line.
        std::string text;
        for (int i = 0; i < k_distinct; ++i) {
            std::string path = "/img/d" + std::to_string(i) + "/";
            path += i % 5 == 0 ? "same.png" : (i == 7 ? "noext" : "p" + std::to_string(i) + ".png");
            urls.push_back(server.url(path));
            paths.push_back(path);
            text += urls.back() + (i == 9 ? " custom.png" : "") + "\n";
            if (i == 20) {
                text += "ftp://127.0.0.1/not-http.png\n";
            }
        }
        for (int i = 0; i < k_duplicates; ++i) {
            text += urls[static_cast<std::size_t>(i * 5 + 1)] + "\n";
        }
        test::write_file(temp / "urls.txt", text);
    }

    std::string list() const { return (temp / "urls.txt").string(); }
    std::string dir(const std::string& name) const { return (temp / name).string(); }

    // The executable with `args`, `env` assignments and the scheduler variables unset.
    static std::vector<std::string> argv_for(const std::vector<std::string>& args,
                                             const std::vector<std::string>& env = {}) {
        std::vector<std::string> argv{"/usr/bin/env"};
        for (const std::string& variable : k_scheduler_variables) {
            argv.insert(argv.end(), {"-u", variable});
        }
        argv.insert(argv.end(), env.begin(), env.end());
        argv.emplace_back(IMGFETCH_EXE);
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }
    ChildProcess::Io io_for(const std::string& name) const {
        return {"/dev/null", temp / (name + ".out"), temp / (name + ".err")};
    }
    ChildProcess start(const std::vector<std::string>& args, const std::string& name,
                       const std::vector<std::string>& env = {}) const {
        return ChildProcess(argv_for(args, env), io_for(name));
    }

    // The unsharded run's files: what every sharded setup must reproduce.
    std::map<std::string, std::string> unsharded_files() {
        ChildProcess run = start({list(), "-o", dir("whole")}, "whole");
        EXPECT_EQ(run.wait_for_exit(60s), exited_with(1)) << run.err(); // the bad line
        log.take_counts();
        return files_in(dir("whole"));
    }

    void expect_each_url_requested_once(const std::map<std::string, int>& counts) {
        for (const std::string& path : paths) {
            const auto it = counts.find(path);
            EXPECT_EQ(it == counts.end() ? 0 : it->second, 1) << path;
        }
        EXPECT_EQ(counts.size(), paths.size());
    }

    TempDir temp;
    RequestLog log; // outlives the server's handlers
    test::TestServer server;
    std::vector<std::string> urls;
    std::vector<std::string> paths;
};

TEST_F(ShardedRuns, ThreeConcurrentShardsInOneDirectoryFetchEachUrlOnceUnderTheUnshardedNames) {
    const auto expected = unsharded_files();
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(k_distinct));
    EXPECT_EQ(expected.count("same-10.png"), 1U);
    EXPECT_EQ(expected.count("noext.png"), 1U);
    EXPECT_EQ(expected.count("custom.png"), 1U);
    std::map<std::string, unsigned> shard_of;
    for (std::size_t i = 0; i < urls.size(); ++i) {
        for (unsigned k = 0; k < 3; ++k) {
            if (in_shard(urls[i], {k, 3})) {
                shard_of[paths[i]] = k;
            }
        }
    }
    std::set<unsigned> shards_with_urls;
    for (const auto& [path, k] : shard_of) {
        shards_with_urls.insert(k);
    }
    ASSERT_EQ(shards_with_urls.size(), 3U) << "every shard needs a URL, or the overlap gate waits";
    log.require_overlap(shard_of, 3); // a shard's requests wait until all three have started

    std::vector<std::unique_ptr<ChildProcess>> shards;
    for (unsigned k = 0; k < 3; ++k) {
        const std::string number = std::to_string(k);
        shards.push_back(std::make_unique<ChildProcess>(
            argv_for({list(), "--shard", number + "/3", "-o", dir("shared"), "-j", "4", "--report",
                      dir("report-" + number + ".json")}),
            io_for("shard-" + number)));
    }
    json summaries = json::array();
    for (unsigned k = 0; k < 3; ++k) {
        // Shard 0 reports the bad line (exit 1); the others have nothing failed.
        EXPECT_EQ(shards[k]->wait_for_exit(60s), exited_with(k == 0 ? 1 : 0)) << shards[k]->err();
        summaries.push_back(
            json::parse(test::read_file(dir("report-" + std::to_string(k) + ".json")))["summary"]);
    }

    EXPECT_FALSE(log.overlap_timed_out()) << "the three shards did not run at the same time";
    expect_each_url_requested_once(log.take_counts());
    EXPECT_EQ(files_in(dir("shared")), expected);
    int ok = 0;
    int duplicate = 0;
    int failed = 0;
    for (const json& summary : summaries) {
        ok += summary["ok"].get<int>();
        duplicate += summary["duplicate"].get<int>();
        failed += summary["failed"].get<int>();
    }
    EXPECT_EQ(ok, k_distinct) << summaries.dump();
    EXPECT_EQ(duplicate, k_duplicates) << summaries.dump();
    EXPECT_EQ(failed, 1) << summaries.dump();
    EXPECT_EQ(summaries[0]["failed"], 1) << summaries.dump();
}

TEST_F(ShardedRuns, GnuParallelRunsTheShardsIntoOneDirectory) {
    const auto parallel = find_on_path("parallel");
    if (!parallel) {
        GTEST_SKIP()
            << "GNU parallel is not installed (scripts/install-deps.sh --test installs it)";
    }
    const auto expected = unsharded_files();

    // parallel imgfetch urls.txt --shard {}/3 -o DIR ::: 0 1 2
    ChildProcess run({*parallel, "--will-cite", "-j", "3", IMGFETCH_EXE, list(), "--shard", "{}/3",
                      "-o", dir("parallel"), ":::", "0", "1", "2"},
                     {"/dev/null", temp / "parallel.out", temp / "parallel.err"});

    // parallel's exit code is the number of failed jobs: shard 0 with the bad line.
    EXPECT_EQ(run.wait_for_exit(120s), exited_with(1)) << run.err();
    expect_each_url_requested_once(log.take_counts());
    EXPECT_EQ(files_in(dir("parallel")), expected);
}

TEST_F(ShardedRuns, ShardAutoReadsKubernetesAndSlurmVariables) {
    ChildProcess explicit_run =
        start({list(), "--shard", "1/3", "-o", dir("explicit")}, "explicit");
    ASSERT_EQ(explicit_run.wait_for_exit(60s), exited_with(0)) << explicit_run.err();
    const auto expected = files_in(dir("explicit"));
    ASSERT_FALSE(expected.empty());
    ASSERT_LT(expected.size(), static_cast<std::size_t>(k_distinct));

    ChildProcess k8s = start({list(), "--shard", "auto", "--shards", "3", "-o", dir("k8s")}, "k8s",
                             {"JOB_COMPLETION_INDEX=1"});
    EXPECT_EQ(k8s.wait_for_exit(60s), exited_with(0)) << k8s.err();
    EXPECT_EQ(files_in(dir("k8s")), expected);

    ChildProcess slurm = start({list(), "--shard", "auto", "-o", dir("slurm")}, "slurm",
                               {"SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=4",
                                "SLURM_ARRAY_TASK_MAX=6", "SLURM_ARRAY_TASK_COUNT=3"});
    EXPECT_EQ(slurm.wait_for_exit(60s), exited_with(0)) << slurm.err();
    EXPECT_EQ(files_in(dir("slurm")), expected);

    ChildProcess env_option =
        start({list(), "-o", dir("env")}, "env",
              {"IMGFETCH_SHARD=auto", "IMGFETCH_SHARDS=3", "JOB_COMPLETION_INDEX=1"});
    EXPECT_EQ(env_option.wait_for_exit(60s), exited_with(0)) << env_option.err();
    EXPECT_EQ(files_in(dir("env")), expected);
}

TEST_F(ShardedRuns, AShardAlreadyRunningOrAnUnshardedRunInTheDirectoryMeansExitCode3) {
    std::filesystem::create_directories(dir("out"));
    {
        const OutputDir out(dir("out"));
        const DirLock held(out, Shard{2, 3});
        ChildProcess same = start({list(), "--shard", "2/3", "-o", dir("out")}, "same");
        EXPECT_EQ(same.wait_for_exit(60s), exited_with(3)) << same.err();
        EXPECT_NE(same.err().find(".imgfetch.shard-2-of-3.lock"), std::string::npos) << same.err();
        ChildProcess whole = start({list(), "-o", dir("out")}, "whole-refused");
        EXPECT_EQ(whole.wait_for_exit(60s), exited_with(3)) << whole.err();
    }
    {
        const OutputDir out(dir("out"));
        const DirLock held(out);
        ChildProcess shard = start({list(), "--shard", "0/3", "-o", dir("out")}, "shard-refused");
        EXPECT_EQ(shard.wait_for_exit(60s), exited_with(3)) << shard.err();
        EXPECT_NE(shard.err().find("unsharded"), std::string::npos) << shard.err();
    }
    EXPECT_TRUE(files_in(dir("out")).empty());
    EXPECT_TRUE(log.take_counts().empty()) << "a refused run made requests";
}

TEST_F(ShardedRuns, UsageErrorsExitWith2AndSayWhatIsWrong) {
    ChildProcess out_of_range = start({list(), "--shard", "3/3"}, "range");
    EXPECT_EQ(out_of_range.wait_for_exit(), exited_with(2));
    EXPECT_NE(out_of_range.err().find("3/3"), std::string::npos) << out_of_range.err();

    ChildProcess no_env = start({list(), "--shard", "auto", "--shards", "3"}, "no-env");
    EXPECT_EQ(no_env.wait_for_exit(), exited_with(2));
    EXPECT_NE(no_env.err().find("JOB_COMPLETION_INDEX"), std::string::npos) << no_env.err();
    EXPECT_NE(no_env.err().find("SLURM_ARRAY_TASK_ID"), std::string::npos) << no_env.err();

    ChildProcess k8s_no_count =
        start({list(), "--shard", "auto"}, "k8s-no-count", {"JOB_COMPLETION_INDEX=0"});
    EXPECT_EQ(k8s_no_count.wait_for_exit(), exited_with(2));
    EXPECT_NE(k8s_no_count.err().find("--shards"), std::string::npos) << k8s_no_count.err();

    ChildProcess shards_alone = start({list(), "--shards", "3"}, "shards-alone");
    EXPECT_EQ(shards_alone.wait_for_exit(), exited_with(2));
    EXPECT_NE(shards_alone.err().find("--shard auto"), std::string::npos) << shards_alone.err();

    EXPECT_TRUE(log.take_counts().empty()) << "a refused run made requests";
}

} // namespace
} // namespace imgfetch
