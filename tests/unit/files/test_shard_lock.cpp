// DirLock with shards: the shards of one list share an output directory, the same shard twice
// or an unsharded run beside them does not.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "imgfetch/files/dir_lock.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/list/shard.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

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

} // namespace
} // namespace imgfetch
