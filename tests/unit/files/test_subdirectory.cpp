#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "imgfetch/files/subdirectory.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

class SubdirectoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_base = ::open(m_temp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(m_base, 0);
    }
    void TearDown() override { ::close(m_base); }
    test::TempDir m_temp;
    int m_base = -1;
};

TEST_F(SubdirectoryTest, CreatesTheFoldersOfANameAndHandsBackTheLeaf) {
    const Subdirectory dir(m_base, "host/a/img.jpg", true);
    EXPECT_EQ(dir.leaf(), "img.jpg");
    EXPECT_TRUE(std::filesystem::is_directory(m_temp.path() / "host" / "a"));
}

TEST_F(SubdirectoryTest, AMissingFolderIsAnErrorWithoutCreate) {
    EXPECT_THROW(Subdirectory(m_base, "host/img.jpg", false), std::system_error);
    EXPECT_FALSE(std::filesystem::exists(m_temp.path() / "host"));
}

TEST_F(SubdirectoryTest, ASymlinkPlantedInTheWayIsRefusedNotFollowed) {
    test::TempDir elsewhere;
    std::filesystem::create_directory_symlink(elsewhere.path(), m_temp.path() / "host");
    try {
        const Subdirectory dir(m_base, "host/a/img.jpg", true);
        FAIL() << "followed the symlink";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("symlink"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(elsewhere.path() / "a"));
}

TEST_F(SubdirectoryTest, DotSegmentsAreRefused) {
    EXPECT_THROW(Subdirectory(m_base, "../img.jpg", true), std::system_error);
    EXPECT_THROW(Subdirectory(m_base, "a//img.jpg", true), std::system_error);
}

} // namespace
} // namespace imgfetch
