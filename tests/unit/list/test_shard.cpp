// Shards (--shard K/N, --shard auto): parsing, the scheduler's variables, the URL hash that
// decides each URL's shard, and a sharded produce_tasks. In-process; the runs of the real
// executable are in tests/e2e/test_shard.cpp.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/shard.hpp"
#include "imgfetch/list/task_source.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

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

struct ShardProduced {
    std::vector<Task> tasks;
    std::vector<TransferResult> immediate;
    ProduceStats stats;
};

ShardProduced produce(const std::string& list, const std::optional<Shard>& shard) {
    ListInputs lists({list});
    ResultSink sink(KeepRecords::all);
    NameRegistry names;
    ShardProduced out;
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
    const ShardProduced all = produce(list, std::nullopt);
    ASSERT_EQ(all.tasks.size(), 40U);
    ASSERT_EQ(all.stats.tasks, 40U);
    EXPECT_EQ(all.stats.other_shards, 0U);

    std::map<std::size_t, std::string> names_by_seq;   // from the shards
    std::map<std::size_t, std::string> results_by_seq; // status, from the shards
    std::size_t other_shards = 0;
    for (unsigned k = 0; k < 3; ++k) {
        const ShardProduced part = produce(list, Shard{k, 3});
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

} // namespace
} // namespace imgfetch
