#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "imgfetch/files/private_file.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

std::filesystem::path write_file(const TempDir& dir, const char* name, mode_t mode) {
    const auto path = dir.path() / name;
    std::ofstream(path) << "secret\n";
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
}

TEST(PrivateFile, OwnerOnlyIsPrivate) {
    TempDir dir;
    EXPECT_FALSE(readable_by_others(write_file(dir, "a", 0600)));
    EXPECT_FALSE(readable_by_others(write_file(dir, "b", 0700)));
}

TEST(PrivateFile, GroupOrOthersReadIsNotPrivate) {
    TempDir dir;
    EXPECT_TRUE(readable_by_others(write_file(dir, "g", 0640)));
    EXPECT_TRUE(readable_by_others(write_file(dir, "o", 0604)));
}

TEST(PrivateFile, MissingFileIsNotReported) {
    TempDir dir;
    EXPECT_FALSE(readable_by_others(dir.path() / "missing"));
}

} // namespace
} // namespace imgfetch
