// Temporaries left by a killed run: recognised by their exact name, removed by the next run that
// holds the directory's lock, and only those no running run can own.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/files/stale_temporaries.hpp"
#include "imgfetch/files/temporary_name.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::list_dir;
using test::read_file;
using test::TempDir;
using test::write_file;

const std::string k_unsharded = ".imgfetch-0123456789abcdef.part";
const std::string k_shard_0_of_2 = ".imgfetch-0123456789abcdef.shard-0-of-2.part";
const std::string k_shard_1_of_2 = ".imgfetch-fedcba9876543210.shard-1-of-2.part";

TEST(TemporaryName, NamesAndRecognisesTheTemporariesOfUnshardedRunsAndShards) {
    EXPECT_EQ(temporary_name("0123456789abcdef", ""), k_unsharded);
    EXPECT_EQ(temporary_name("0123456789abcdef", temporary_owner_tag(Shard{0, 2})), k_shard_0_of_2);
    EXPECT_EQ(temporary_owner_of(k_unsharded), "");
    EXPECT_EQ(temporary_owner_of(k_shard_0_of_2), ".shard-0-of-2");
    EXPECT_EQ(temporary_owner_of(k_shard_1_of_2), ".shard-1-of-2");
}

TEST(TemporaryName, RecognisesNothingElse) {
    for (const std::string name :
         {".imgfetch-0123456789abcde.part", ".imgfetch-0123456789abcdefa.part",
          ".imgfetch-0123456789ABCDEF.part", ".imgfetch-0123456789abcdef.partial",
          "imgfetch-0123456789abcdef.part", ".imgfetch-0123456789abcdef.shard-1.part",
          ".imgfetch-0123456789abcdef.shard-x-of-2.part", ".imgfetch-0123456789abcdef-.part",
          ".imgfetch.lock", ".imgfetch.shard-0-of-2.lock", "photo.part", ".imgfetch-spill-ab12"}) {
        EXPECT_EQ(temporary_owner_of(name), std::nullopt) << name;
    }
}

TEST(TemporaryName, AnAtomicFileOfAShardCarriesTheShardsTag) {
    TempDir temp;
    const OutputDir dir((temp / "out").string(), temporary_owner_tag(Shard{3, 8}));
    const AtomicFile file(dir);
    EXPECT_EQ(temporary_owner_of(file.temp_name()), ".shard-3-of-8") << file.temp_name();
}

class StaleTemporaries : public ::testing::Test {
protected:
    void SetUp() override {
        for (const std::string& name : {k_unsharded, k_shard_0_of_2, k_shard_1_of_2}) {
            write_file(temp / "out" / name, "partial");
        }
        write_file(temp / "out" / "photo.jpg", "kept");
        write_file(temp / "out" / ".imgfetch.lock", "");
        write_file(temp / "outside.jpg", "not ours");
    }

    TempDir temp;
    OutputDir dir{(temp / "out").string()};
};

TEST_F(StaleTemporaries, AnUnshardedRunRemovesEveryTemporaryAndNothingElse) {
    EXPECT_EQ(remove_stale_temporaries(dir, std::nullopt), 3U);
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"photo.jpg"});
}

TEST_F(StaleTemporaries, AShardRemovesOnlyItsOwnLeftovers) {
    EXPECT_EQ(remove_stale_temporaries(dir, Shard{0, 2}), 1U);
    EXPECT_EQ(list_dir(temp / "out"),
              (std::vector<std::string>{k_unsharded, k_shard_1_of_2, "photo.jpg"}));
}

TEST_F(StaleTemporaries, NeverFollowsOrRemovesASymlinkOrADirectoryOfATemporarysName) {
    const std::string link = ".imgfetch-aaaaaaaaaaaaaaaa.part";
    const std::string folder = ".imgfetch-bbbbbbbbbbbbbbbb.part";
    ASSERT_EQ(::symlink((temp / "outside.jpg").c_str(), (temp / "out" / link).c_str()), 0);
    std::filesystem::create_directory(temp / "out" / folder);

    EXPECT_EQ(remove_stale_temporaries(dir, std::nullopt), 3U);

    EXPECT_EQ(list_dir(temp / "out"), (std::vector<std::string>{link, folder, "photo.jpg"}));
    EXPECT_EQ(read_file(temp / "outside.jpg"), "not ours");
}

} // namespace
} // namespace imgfetch
