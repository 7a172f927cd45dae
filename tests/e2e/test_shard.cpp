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
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "imgfetch/files/dir_lock.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/shard.hpp"
#include "imgfetch/list/task_source.hpp"
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
using test::TempDir;
using namespace std::chrono_literals;

std::string text(const Shard& shard) {
    return std::to_string(shard.index) + "/" + std::to_string(shard.count);
}

// ---------------------------------------------------------------------------------------------
// parse_shard

TEST(ParseShard, AcceptsKOfNWithKBelowN) {
    const std::vector<std::pair<std::string, std::string>> valid{
        {"0/1", "0/1"},
        {"0/3", "0/3"},
        {"2/3", "2/3"},
        {"07/8", "7/8"},
        {"999999/1000000", "999999/1000000"}};
    for (const auto& [input, expected] : valid) {
        const auto parsed = parse_shard(input);
        ASSERT_TRUE(parsed) << input;
        EXPECT_EQ(text(*parsed), expected) << input;
    }
}

TEST(ParseShard, RefusesAnythingElse) {
    for (const char* text : {"",
                             "/",
                             "0",
                             "3",
                             "0/",
                             "/3",
                             "3/3",
                             "4/3",
                             "0/0",
                             "-1/3",
                             "+1/3",
                             "1/-3",
                             " 1/3",
                             "1/3 ",
                             "1 /3",
                             "1/ 3",
                             "1/3/5",
                             "a/3",
                             "1/b",
                             "0x1/3",
                             "1.0/3",
                             "0/1000001",
                             "auto",
                             "99999999999999999999/3",
                             "0/99999999999999999999"}) {
        EXPECT_FALSE(parse_shard(text)) << "'" << text << "'";
    }
}

// ---------------------------------------------------------------------------------------------
// shard_from_environment

using Env = std::map<std::string, std::string>;

ShardFromEnv from_env(const Env& env, std::optional<unsigned> shards_flag = std::nullopt) {
    return shard_from_environment(shards_flag, [&env](const char* name) -> const char* {
        const auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    });
}

void expect_error(const ShardFromEnv& found, const std::string& fragment) {
    EXPECT_FALSE(found.shard) << "found shard " << text(*found.shard);
    EXPECT_NE(found.error.find(fragment), std::string::npos)
        << "'" << found.error << "' does not mention '" << fragment << "'";
}

TEST(ShardFromEnvironment, KubernetesIndexedJobTakesTheIndexAndTheCountFromShards) {
    const ShardFromEnv found = from_env({{"JOB_COMPLETION_INDEX", "2"}}, 5);
    ASSERT_TRUE(found.shard) << found.error;
    EXPECT_EQ(text(*found.shard), "2/5");
}

TEST(ShardFromEnvironment, KubernetesWithoutShardsAsksForTheCompletions) {
    expect_error(from_env({{"JOB_COMPLETION_INDEX", "0"}}), "--shards");
}

TEST(ShardFromEnvironment, KubernetesIndexNotBelowShardsIsRefused) {
    expect_error(from_env({{"JOB_COMPLETION_INDEX", "5"}}, 5), "not below --shards 5");
}

TEST(ShardFromEnvironment, SlurmArraySubtractsTheMinimumTaskId) {
    const ShardFromEnv found = from_env({{"SLURM_ARRAY_TASK_ID", "12"},
                                         {"SLURM_ARRAY_TASK_MIN", "10"},
                                         {"SLURM_ARRAY_TASK_MAX", "17"},
                                         {"SLURM_ARRAY_TASK_COUNT", "8"}});
    ASSERT_TRUE(found.shard) << found.error;
    EXPECT_EQ(text(*found.shard), "2/8");
}

TEST(ShardFromEnvironment, SlurmMinimumDefaultsToZeroAndAnAgreeingShardsIsAccepted) {
    const ShardFromEnv found =
        from_env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}, 4);
    ASSERT_TRUE(found.shard) << found.error;
    EXPECT_EQ(text(*found.shard), "3/4");
}

TEST(ShardFromEnvironment, SlurmWithoutTaskCountIsRefused) {
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "1"}}), "SLURM_ARRAY_TASK_COUNT is not");
}

TEST(ShardFromEnvironment, SlurmCountDisagreeingWithShardsIsRefused) {
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}, 3),
                 "--shards 3 disagrees with SLURM_ARRAY_TASK_COUNT=4");
}

TEST(ShardFromEnvironment, SlurmArrayWithAStepOrGapsIsRefusedInEveryTask) {
    // --array=0-6:2 runs tasks 0, 2, 4, 6: COUNT=4 tasks would leave shards 1 and 3 undone.
    const Env stepped{{"SLURM_ARRAY_TASK_MIN", "0"},
                      {"SLURM_ARRAY_TASK_MAX", "6"},
                      {"SLURM_ARRAY_TASK_STEP", "2"},
                      {"SLURM_ARRAY_TASK_COUNT", "4"}};
    for (const char* id : {"0", "2"}) {
        Env env = stepped;
        env["SLURM_ARRAY_TASK_ID"] = id;
        expect_error(from_env(env), "not contiguous");
    }
    // --array=0,1,5: no step, but MAX - MIN + 1 != COUNT.
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "0"},
                           {"SLURM_ARRAY_TASK_MIN", "0"},
                           {"SLURM_ARRAY_TASK_MAX", "5"},
                           {"SLURM_ARRAY_TASK_COUNT", "3"}}),
                 "--array=0-2");
}

TEST(ShardFromEnvironment, SlurmTaskBeyondTheCountIsRefused) {
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}),
                 "is not a shard of 3");
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "1"},
                           {"SLURM_ARRAY_TASK_MIN", "2"},
                           {"SLURM_ARRAY_TASK_COUNT", "3"}}),
                 "is not a shard of 3");
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "0"}}),
                 "SLURM_ARRAY_TASK_COUNT=0");
}

TEST(ShardFromEnvironment, GarbageInAVariableInUseIsNamedWithItsValue) {
    expect_error(from_env({{"JOB_COMPLETION_INDEX", "one"}}, 3),
                 "JOB_COMPLETION_INDEX is not a number: 'one'");
    expect_error(from_env({{"JOB_COMPLETION_INDEX", ""}}, 3), "JOB_COMPLETION_INDEX");
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4x"}}),
                 "SLURM_ARRAY_TASK_COUNT is not a number: '4x'");
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "-1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}),
                 "SLURM_ARRAY_TASK_ID is not a number");
    expect_error(from_env({{"SLURM_ARRAY_TASK_ID", "1"},
                           {"SLURM_ARRAY_TASK_MIN", "\x1b[2J"},
                           {"SLURM_ARRAY_TASK_COUNT", "4"}}),
                 "SLURM_ARRAY_TASK_MIN is not a number");
    const ShardFromEnv escaped = from_env({{"JOB_COMPLETION_INDEX", "\x1b[2J"}}, 3);
    EXPECT_EQ(escaped.error.find('\x1b'), std::string::npos) << "a control byte was printed";
}

TEST(ShardFromEnvironment, KubernetesWinsOverSlurmAndIgnoresItsVariables) {
    const ShardFromEnv found = from_env({{"JOB_COMPLETION_INDEX", "1"},
                                         {"SLURM_ARRAY_TASK_ID", "x"},
                                         {"SLURM_ARRAY_TASK_MIN", "?"}},
                                        2);
    ASSERT_TRUE(found.shard) << found.error;
    EXPECT_EQ(text(*found.shard), "1/2");
}

TEST(ShardFromEnvironment, NeitherSchedulerNamesBothVariables) {
    const ShardFromEnv found = from_env({}, 3);
    expect_error(found, "JOB_COMPLETION_INDEX");
    expect_error(found, "SLURM_ARRAY_TASK_ID");
}

// ---------------------------------------------------------------------------------------------
// normalized_url, shard_hash, in_shard

TEST(NormalizedUrl, CaseOfSchemeAndHostDefaultPortFragmentAndEmptyPathDoNotMatter) {
    const std::vector<std::vector<std::string>> same{
        {"http://example.com/a/B.jpg", "HTTP://Example.COM/a/B.jpg",
         "http://example.com:80/a/B.jpg", "http://example.com/a/B.jpg#top",
         "Http://EXAMPLE.com:80/a/B.jpg#x"},
        {"https://h.example/", "https://H.EXAMPLE", "https://h.example:443/",
         "HTTPS://h.example#f"},
        {"http://[fe80::1]/x", "http://[FE80::1]:80/x"},
        {"http://h/b?q=1", "http://h/a/../b?q=1#frag"},
    };
    for (const auto& group : same) {
        for (const std::string& url : group) {
            EXPECT_EQ(normalized_url(url), normalized_url(group.front())) << url;
            EXPECT_EQ(shard_hash(url), shard_hash(group.front())) << url;
        }
    }
}

TEST(NormalizedUrl, PathQueryPortAndUserStayDistinct) {
    const std::vector<std::string> different{
        "http://example.com/a/b.jpg",   "http://example.com/a/B.jpg",
        "http://example.com/a/b.jpg?x", "http://example.com:8080/a/b.jpg",
        "https://example.com/a/b.jpg",  "http://u@example.com/a/b.jpg",
    };
    std::set<std::string> normalized;
    for (const std::string& url : different) {
        normalized.insert(normalized_url(url));
    }
    EXPECT_EQ(normalized.size(), different.size());
}

TEST(NormalizedUrl, TextThatDoesNotParseIsKeptAsIs) {
    EXPECT_EQ(normalized_url("not a url"), "not a url");
    EXPECT_EQ(normalized_url(""), "");
}

// The hash decides which machine fetches which URL: shards of one list run by different
// imgfetch versions must agree, so a change here is a breaking change. The expected values
// were computed independently (Python: FNV-1a 64 over the normalized text's UTF-8 bytes).
TEST(ShardHash, IsFnv1a64OfTheNormalizedUrlAndNeverChanges) {
    const std::vector<std::pair<std::string, std::uint64_t>> pinned{
        {"", 0xcbf29ce484222325ULL},  // FNV-1a's offset basis: the published test vector
        {"a", 0xaf63dc4c8601ec8cULL}, // published test vector ("a" does not parse as a URL)
        {"not a url", 0x3dfd5357592340f0ULL},
        {"http://example.com/a/B.jpg", 0x9e7bec180b70b324ULL},
        {"HTTP://Example.COM:80/a/B.jpg#frag", 0x9e7bec180b70b324ULL},
        {"https://H.example:443", 0x7c08d160613abeafULL}, // as "https://h.example/"
        {"http://h/a/../b?q=1#x", 0xfc818df5fbc4d7aeULL}, // as "http://h/b?q=1"
    };
    for (const auto& [url, hash] : pinned) {
        EXPECT_EQ(shard_hash(url), hash) << url;
    }
    // in_shard is the hash modulo the count: 0x9e7bec180b70b324 % 3 == 0, % 11 == 8.
    EXPECT_TRUE(in_shard("http://example.com/a/B.jpg", {0, 3}));
    EXPECT_TRUE(in_shard("http://example.com/a/B.jpg", {8, 11}));
    EXPECT_FALSE(in_shard("http://example.com/a/B.jpg", {1, 3}));
}

TEST(InShard, TenThousandUrlsSpreadEvenlyOverFourShardsAndEachLandsInExactlyOne) {
    constexpr int k_urls = 10'000;
    constexpr unsigned k_shards = 4;
    std::vector<int> per_shard(k_shards, 0);
    for (int i = 0; i < k_urls; ++i) {
        const std::string url = "https://cdn" + std::to_string(i % 7) + ".example.com/images/" +
                                std::to_string(i) + "/photo.jpg";
        int owners = 0;
        for (unsigned k = 0; k < k_shards; ++k) {
            if (in_shard(url, {k, k_shards})) {
                ++per_shard[k];
                ++owners;
            }
        }
        ASSERT_EQ(owners, 1) << url;
    }
    for (unsigned k = 0; k < k_shards; ++k) {
        EXPECT_NEAR(per_shard[k], k_urls / k_shards, k_urls / k_shards * 15 / 100) << "shard " << k;
    }
}

TEST(InShard, OneShardHoldsEverything) {
    EXPECT_TRUE(in_shard("http://h/x.png", {0, 1}));
    EXPECT_TRUE(in_shard("garbage", {0, 1}));
}

// ---------------------------------------------------------------------------------------------
// produce_tasks with a shard

struct Produced {
    std::vector<Task> tasks;
    std::vector<TransferResult> immediate;
    ProduceStats stats;
};

Produced produce(const std::string& list, const std::optional<Shard>& shard) {
    ListInputs lists({list});
    ResultSink sink(KeepRecords::all);
    NameRegistry names;
    Produced out;
    out.stats = produce_tasks(
        lists, names, sink, [&](Task task) { out.tasks.push_back(std::move(task)); }, {}, shard);
    out.immediate = sink.take_records();
    return out;
}

TEST(ShardedProduceTasks, ShardsSplitTheTasksAndKeepTheUnshardedNamesAndSeqs) {
    TempDir temp;
    std::string text;
    for (int i = 0; i < 40; ++i) {
        // Every fourth URL has the same base name: the names depend on the whole list.
        text += "http://h/d" + std::to_string(i) + (i % 4 == 0 ? "/same.png" : "/p.png") + "\n";
        if (i % 10 == 3) {
            text += "not-a-url\n";
        }
    }
    for (int i = 0; i < 40; i += 6) {
        text += "http://h/d" + std::to_string(i) + (i % 4 == 0 ? "/same.png" : "/p.png") + "\n";
    }
    test::write_file(temp / "l.txt", text);
    const std::string list = (temp / "l.txt").string();
    const Produced all = produce(list, std::nullopt);
    ASSERT_EQ(all.tasks.size(), 40U);
    ASSERT_EQ(all.stats.tasks, 40U);
    EXPECT_EQ(all.stats.other_shards, 0U);

    std::map<std::size_t, std::string> names_by_seq;   // from the shards
    std::map<std::size_t, std::string> results_by_seq; // status, from the shards
    std::size_t other_shards = 0;
    for (unsigned k = 0; k < 3; ++k) {
        const Produced part = produce(list, Shard{k, 3});
        EXPECT_EQ(part.stats.tasks, part.tasks.size());
        other_shards += part.stats.other_shards;
        for (const Task& task : part.tasks) {
            EXPECT_TRUE(in_shard(task.url, {k, 3})) << task.url;
            EXPECT_TRUE(names_by_seq.emplace(task.seq, task.file_name).second) << task.url;
        }
        for (const TransferResult& result : part.immediate) {
            EXPECT_TRUE(results_by_seq.emplace(result.seq, to_string(result.status)).second)
                << "seq " << result.seq << " reported by two shards";
            if (result.status == Status::failed) {
                EXPECT_EQ(k, 0U) << "bad lines are shard 0's to report: " << result.error;
            } else {
                EXPECT_TRUE(in_shard(result.url, {k, 3})) << result.url;
            }
        }
    }
    std::map<std::size_t, std::string> unsharded_names;
    for (const Task& task : all.tasks) {
        unsharded_names.emplace(task.seq, task.file_name);
    }
    std::map<std::size_t, std::string> unsharded_results;
    for (const TransferResult& result : all.immediate) {
        unsharded_results.emplace(result.seq, to_string(result.status));
    }
    EXPECT_EQ(names_by_seq, unsharded_names);
    EXPECT_EQ(results_by_seq, unsharded_results);
    EXPECT_EQ(unsharded_results.size(), 4U + 7U); // bad lines + duplicates
    // Every URL line is this shard's or another's: 2 x (40 URLs + 7 duplicates) left over.
    EXPECT_EQ(other_shards, 2U * 47U);
}

// ---------------------------------------------------------------------------------------------
// DirLock with shards

TEST(ShardedDirLock, TheShardsOfAListShareADirectoryButTheSameShardTwiceDoesNot) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    const DirLock zero(dir, Shard{0, 3});
    const DirLock one(dir, Shard{1, 3});
    const DirLock two(dir, Shard{2, 3});

    try {
        const DirLock again(dir, Shard{1, 3});
        ADD_FAILURE() << "shard 1/3 locked twice";
    } catch (const LockHeld& e) {
        EXPECT_NE(std::string(e.what()).find("shard 1/3 is already running"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find(".imgfetch.shard-1-of-3.lock"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(DirLock unsharded(dir), LockHeld) << "an unsharded run while shards run";
    EXPECT_TRUE(std::filesystem::exists(temp / "out" / ".imgfetch.shard-2-of-3.lock"));
}

TEST(ShardedDirLock, AnUnshardedRunExcludesEveryShard) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    {
        const DirLock unsharded(dir);
        try {
            const DirLock shard(dir, Shard{0, 2});
            ADD_FAILURE() << "a shard ran beside an unsharded run";
        } catch (const LockHeld& e) {
            EXPECT_NE(std::string(e.what()).find("an unsharded imgfetch run"), std::string::npos)
                << e.what();
        }
        // The failed attempt must not keep the shard's lock: it is free once the run ends.
    }
    const DirLock shard(dir, Shard{0, 2});
    EXPECT_THROW(DirLock unsharded(dir), LockHeld);
}

TEST(ShardedDirLock, ReleasingAShardLetsItRunAgainAndTheLastShardFreesTheDirectory) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    std::optional<DirLock> zero(std::in_place, dir, Shard{0, 2});
    { const DirLock one(dir, Shard{1, 2}); }
    const DirLock one_again(dir, Shard{1, 2});
    zero.reset();
    EXPECT_THROW(DirLock unsharded(dir), LockHeld) << "shard 1 still runs";
}

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

// The full path of `program` on $PATH, or nothing.
std::optional<std::string> find_on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path == nullptr ? "/usr/bin:/bin" : path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::filesystem::path candidate = std::filesystem::path(dir) / program;
        if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
    }
    return std::nullopt;
}

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

// ---------------------------------------------------------------------------------------------
// The manual page

// The man page's text with roff's "\-" as "-" and font escapes removed.
std::string man_page_text() {
    std::string text = test::read_file(IMGFETCH_MAN_PAGE);
    text = std::regex_replace(text, std::regex(R"(\\-)"), "-");
    return std::regex_replace(text, std::regex(R"(\\f[BIRP])"), "");
}

TEST(ManPage, DocumentsEveryOptionOfHelp) {
    TempDir temp;
    const test::ProcessResult help = test::run_imgfetch({"--help"}, temp.path());
    ASSERT_EQ(help.exit_code, 0);
    const std::string page = man_page_text();
    ASSERT_FALSE(page.empty()) << "cannot read " << IMGFETCH_MAN_PAGE;

    // Option lines of --help: "  -o,--output DIR   ..." or "  --sequential   ...".
    const std::regex option_line(R"(^\s+((?:-[A-Za-z],)?--[a-z][a-z-]*))");
    std::vector<std::string> options;
    std::istringstream lines(help.out);
    for (std::string line; std::getline(lines, line);) {
        std::smatch match;
        if (std::regex_search(line, match, option_line)) {
            std::istringstream names(match[1].str());
            for (std::string name; std::getline(names, name, ',');) {
                options.push_back(name);
            }
        }
    }
    ASSERT_GE(options.size(), 35U) << "could not read the options of --help:\n" << help.out;
    for (const std::string& option : options) {
        // The option as a word: "--shard" must not be satisfied by "--shards".
        const std::regex word("(^|[^A-Za-z0-9-])" + option + "($|[^A-Za-z0-9-])");
        EXPECT_TRUE(std::regex_search(page, word)) << option << " is missing from docs/imgfetch.1";
    }
}

TEST(ManPage, RendersWithoutWarnings) {
    const auto groff = find_on_path("groff");
    if (!groff) {
        GTEST_SKIP() << "groff is not installed";
    }
    TempDir temp;
    ChildProcess render({*groff, "-man", "-Tutf8", "-ww", "-z", IMGFETCH_MAN_PAGE},
                        {"/dev/null", temp / "out", temp / "err"});
    EXPECT_EQ(render.wait_for_exit(30s), exited_with(0)) << render.err();
    EXPECT_EQ(render.err(), "");
}

TEST(ManPage, CmakeInstallPutsItInShareManMan1) {
    TempDir temp;
    ChildProcess install({IMGFETCH_CMAKE_COMMAND, "--install", IMGFETCH_BUILD_DIR, "--prefix",
                          (temp / "prefix").string()},
                         {"/dev/null", temp / "out", temp / "err"});
    ASSERT_EQ(install.wait_for_exit(60s), exited_with(0)) << install.out() << install.err();

    const auto installed = temp / "prefix" / "share" / "man" / "man1" / "imgfetch.1";
    ASSERT_TRUE(std::filesystem::exists(installed)) << install.out();
    EXPECT_EQ(test::read_file(installed), test::read_file(IMGFETCH_MAN_PAGE));
    EXPECT_TRUE(std::filesystem::exists(temp / "prefix" / "bin" / "imgfetch"));
}

} // namespace
} // namespace imgfetch
