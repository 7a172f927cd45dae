// --resume's temporaries: a stable name per URL, one owner at a time (a lock held across
// processes and threads), never reached through a symlink, kept on request, and cleaned up by the
// next run only when that run does not continue them.
#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
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

const std::string k_partial = ".imgfetch-0123456789abcdef.resume.part";

TEST(ResumeTemporaryName, IsStableAndRecognisedAsNoOrdinaryTemporary) {
    EXPECT_EQ(resume_temporary_name("0123456789abcdef"), k_partial);
    EXPECT_TRUE(is_resume_temporary_name(k_partial));
    EXPECT_EQ(temporary_owner_of(k_partial), std::nullopt) << "not removed as a stale temporary";
    for (const std::string name :
         {".imgfetch-0123456789abcde.resume.part", ".imgfetch-0123456789ABCDEF.resume.part",
          ".imgfetch-0123456789abcdef.part", ".imgfetch-0123456789abcdef.resume.partial",
          "x.imgfetch-0123456789abcdef.resume.part"}) {
        EXPECT_FALSE(is_resume_temporary_name(name)) << name;
    }
}

TEST(ResumableTemporary, IsCreatedEmptyReopenedWithItsBytesAndCommittedLikeAnyTemporary) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    {
        auto first = AtomicFile::open_resumable(dir, k_partial);
        ASSERT_NE(first, nullptr);
        EXPECT_EQ(first->size(), 0U);
        first->write("abc", 3);
        first->keep();
    }
    auto again = AtomicFile::open_resumable(dir, k_partial);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->size(), 3U);
    again->write("def", 3); // appended
    char head[2];
    EXPECT_EQ(again->read_at(1, head, sizeof head), 2U);
    EXPECT_EQ(std::string(head, 2), "bc");
    again->commit("whole.png");
    EXPECT_EQ(read_file(temp / "out" / "whole.png"), "abcdef");
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"whole.png"});
}

TEST(ResumableTemporary, IsRemovedWhenNotKeptAndEmptiedByTruncate) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    {
        auto file = AtomicFile::open_resumable(dir, k_partial);
        file->write("abc", 3);
        file->truncate();
        EXPECT_EQ(file->size(), 0U);
    }
    EXPECT_TRUE(list_dir(temp / "out").empty()) << "not kept: unlinked like any temporary";
}

TEST(ResumableTemporary, HasOneOwnerAtATime) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    auto owner = AtomicFile::open_resumable(dir, k_partial);
    ASSERT_NE(owner, nullptr);

    EXPECT_EQ(AtomicFile::open_resumable(dir, k_partial), nullptr) << "held by `owner`";
    owner.reset(); // not kept: the name goes, and with it the lock
    EXPECT_NE(AtomicFile::open_resumable(dir, k_partial), nullptr);
}

TEST(ResumableTemporary, IsNeverOpenedThroughASymlinkNorOverADirectory) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    write_file(temp / "victim", "precious");
    std::filesystem::create_symlink(temp / "victim", temp / "out" / k_partial);

    EXPECT_THROW(AtomicFile::open_resumable(dir, k_partial), std::system_error);
    EXPECT_EQ(read_file(temp / "victim"), "precious");

    std::filesystem::remove(temp / "out" / k_partial);
    std::filesystem::create_directory(temp / "out" / k_partial);
    EXPECT_THROW(AtomicFile::open_resumable(dir, k_partial), std::system_error);
}

TEST(ResumableTemporary, IsNeverAHardLinkPlantedUnderItsName) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    write_file(temp / "victim", "precious");
    std::filesystem::create_hard_link(temp / "victim", temp / "out" / k_partial);

    EXPECT_THROW(AtomicFile::open_resumable(dir, k_partial), std::system_error);
    EXPECT_EQ(read_file(temp / "victim"), "precious");
}

TEST(ResumableTemporary, StaysLockedUntilItsNameIsRenamed) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    auto owner = AtomicFile::open_resumable(dir, k_partial);
    owner->write("abc", 3);
    owner->keep();
    owner.reset(); // kept: the name stays, unlocked
    owner = AtomicFile::open_resumable(dir, k_partial);
    ASSERT_NE(owner, nullptr);
    EXPECT_EQ(AtomicFile::open_resumable(dir, k_partial), nullptr);
    owner->commit("done.png");
    EXPECT_EQ(read_file(temp / "out" / "done.png"), "abc");
    auto next = AtomicFile::open_resumable(dir, k_partial);
    ASSERT_NE(next, nullptr) << "after the rename the name is free: a new, empty file";
    EXPECT_EQ(next->size(), 0U);
}

TEST(ResumableTemporary, ReadsWritesAndRemovesItsExtendedAttribute) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    auto file = AtomicFile::open_resumable(dir, k_partial);
    EXPECT_EQ(file->extended_attribute("user.imgfetch.resume"), std::nullopt);
    if (!file->set_extended_attribute("user.imgfetch.resume", "\"v1\"")) {
        GTEST_SKIP() << "this filesystem has no user extended attributes";
    }
    EXPECT_EQ(file->extended_attribute("user.imgfetch.resume"), "\"v1\"");
    file->remove_extended_attribute("user.imgfetch.resume");
    EXPECT_EQ(file->extended_attribute("user.imgfetch.resume"), std::nullopt);
    file->remove_extended_attribute("user.imgfetch.resume"); // absent: fine
}

TEST(StalePartials, AreRemovedOnlyByAnUnshardedRunWithoutResume) {
    TempDir temp;
    const OutputDir dir((temp / "out").string());
    write_file(temp / "out" / k_partial, "part");

    EXPECT_EQ(remove_stale_temporaries(dir, std::nullopt, true), 0U) << "--resume keeps it";
    EXPECT_EQ(remove_stale_temporaries(dir, Shard{0, 2}, false), 0U) << "a shard never removes it";
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{k_partial});

    EXPECT_EQ(remove_stale_temporaries(dir, std::nullopt, false), 1U);
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

} // namespace
} // namespace imgfetch
