#include <gtest/gtest.h>

#include <regex>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/setup_error.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::list_dir;
using test::read_file;
using test::TempDir;

TEST(AtomicFile, WritesUnderAHiddenFixedLengthTemporaryUntilCommitted) {
    TempDir temp;
    const OutputDir dir(temp.path().string());
    AtomicFile file(dir);
    file.write("abc", 3);

    EXPECT_TRUE(std::regex_match(file.temp_name(), std::regex(R"(\.imgfetch-[0-9a-f]{16}\.part)")))
        << file.temp_name();
    EXPECT_EQ(list_dir(temp.path()), std::vector<std::string>{file.temp_name()});

    file.write("def", 3);
    file.commit("final.png");

    EXPECT_EQ(list_dir(temp.path()), std::vector<std::string>{"final.png"});
    EXPECT_EQ(read_file(temp / "final.png"), "abcdef");
}

TEST(AtomicFile, RemovesItsTemporaryWhenNotCommitted) {
    TempDir temp;
    const OutputDir dir(temp.path().string());
    {
        AtomicFile file(dir);
        file.write("partial", 7);
    }
    EXPECT_TRUE(list_dir(temp.path()).empty());
}

TEST(AtomicFile, CommitReplacesAnExistingFileWholesale) {
    TempDir temp;
    const OutputDir dir(temp.path().string());
    test::write_file(temp / "x.png", "old old old old");
    AtomicFile file(dir);
    file.write("new", 3);
    file.commit("x.png");

    EXPECT_EQ(read_file(temp / "x.png"), "new");
}

TEST(AtomicFile, TwoFilesInOneDirectoryGetDistinctTemporaries) {
    TempDir temp;
    const OutputDir dir(temp.path().string());
    AtomicFile a(dir);
    AtomicFile b(dir);
    EXPECT_NE(a.temp_name(), b.temp_name());
}

TEST(OutputDir, CreatesMissingParents) {
    TempDir temp;
    const OutputDir dir((temp / "a" / "b" / "c").string());
    EXPECT_TRUE(std::filesystem::is_directory(temp / "a" / "b" / "c"));
    EXPECT_EQ(dir.path_of("x.png"), (temp / "a" / "b" / "c" / "x.png").string());
}

TEST(OutputDir, JoinsAPathAsStdFilesystemDoes) {
    TempDir temp;
    const std::string base = temp.path().string();
    for (const std::string& written : {base, base + "/", base + "//", base + "/./"}) {
        const OutputDir dir(written);
        for (const std::string name : {"x.png", ".hidden", "a b.jpg"}) {
            EXPECT_EQ(dir.path_of(name), (std::filesystem::path(written) / name).string())
                << written << " + " << name;
        }
    }
}

TEST(OutputDir, APathThatIsAFileIsASetupError) {
    TempDir temp;
    test::write_file(temp / "file", "x");
    EXPECT_THROW(OutputDir((temp / "file").string()), SetupError);
}

} // namespace
} // namespace imgfetch
