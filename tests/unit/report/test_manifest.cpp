// ManifestWriter and sha256sum_line in-process: GNU coreutils' line format and escaping, only
// saved files listed, and the real `sha256sum -c` accepting a manifest whose names need the
// escapes (a backslash, a newline) and rejecting one whose file changed.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "imgfetch/report/manifest.hpp"
#include "support/child_process.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

using test::contains;
using test::read_file;
using test::sha256_hex;
using test::TempDir;

// Runs the real `sha256sum -c MANIFEST` inside `dir`; its exit code, or -1 when it hung.
int manifest_check_exit_code(const TempDir& scratch, const std::filesystem::path& dir,
                             const std::filesystem::path& manifest, std::string* out = nullptr) {
    test::ChildProcess check(
        {"/bin/sh", "-c", "cd \"$0\" && exec sha256sum -c \"$1\"", dir.string(), manifest.string()},
        test::child_io(scratch.path(), "sha256sum"));
    const std::optional<test::ExitStatus> status = check.wait_for_exit(std::chrono::seconds(60));
    if (out != nullptr) {
        *out = check.out() + check.err();
    }
    return status && status->signal == 0 ? status->code : -1;
}

TransferResult manifest_saved(const std::filesystem::path& dir, const std::string& name,
                              const std::string& content) {
    test::write_file(dir / name, content);
    TransferResult r;
    r.status = Status::ok;
    r.path = (dir / name).string();
    r.sha256 = sha256_hex(content);
    return r;
}

TEST(ManifestLine, IsTheDigestTwoSpacesAndTheName) {
    const std::string hex(64, 'f');
    EXPECT_EQ(sha256sum_line(hex, "a.png"), hex + "  a.png\n");
}

TEST(ManifestLine, EscapesBackslashNewlineAndCarriageReturnAsCoreutilsDoes) {
    const std::string hex(64, '0');
    EXPECT_EQ(sha256sum_line(hex, "a\\b.png"), "\\" + hex + "  a\\\\b.png\n");
    EXPECT_EQ(sha256sum_line(hex, "x\ny.png"), "\\" + hex + "  x\\ny.png\n");
    EXPECT_EQ(sha256sum_line(hex, "c\rd.png"), "\\" + hex + "  c\\rd.png\n");
}

TEST(Manifest, ListsOnlySavedFilesNamedRelativeToTheDirectory) {
    const TempDir temp;
    const auto dir = temp / "images";
    std::filesystem::create_directory(dir);
    ManifestWriter writer(temp.path().string());
    writer.add(manifest_saved(dir, "a.png", "aaa"));
    TransferResult skipped = manifest_saved(dir, "b.png", "bbb");
    skipped.status = Status::skipped;
    writer.add(skipped);
    TransferResult unhashed = manifest_saved(dir, "c.png", "ccc");
    unhashed.sha256.reset();
    writer.add(unhashed);
    writer.add(TransferResult{}); // a failed URL
    writer.write((temp / "m.sha256").string());

    EXPECT_EQ(read_file(temp / "m.sha256"), sha256_hex("aaa") + "  a.png\n");
    EXPECT_EQ(test::list_dir(temp.path()), (std::vector<std::string>{"images", "m.sha256"}));
}

TEST(Manifest, NamesThatNeedEscapesVerifyWithTheRealSha256sum) {
    const TempDir temp;
    const auto dir = temp / "images";
    std::filesystem::create_directory(dir);
    ManifestWriter writer(temp.path().string());
    writer.add(manifest_saved(dir, "plain.png", "one"));
    writer.add(manifest_saved(dir, "back\\slash.png", "two"));
    writer.add(manifest_saved(dir, "new\nline.png", "three"));
    writer.write((temp / "m.sha256").string());

    std::string out;
    EXPECT_EQ(manifest_check_exit_code(temp, dir, temp / "m.sha256", &out), 0) << out;
    EXPECT_TRUE(contains(out, "plain.png: OK")) << out;
    EXPECT_TRUE(contains(out, "back\\slash.png: OK")) << out;
    EXPECT_TRUE(contains(out, "\\new\\nline.png: OK")) << out; // sha256sum's own escape

    test::write_file(dir / "new\nline.png", "changed");
    EXPECT_EQ(manifest_check_exit_code(temp, dir, temp / "m.sha256", &out), 1) << out;
    EXPECT_TRUE(contains(out, "FAILED")) << out;
}

TEST(Manifest, AnEmptyRunWritesAnEmptyManifest) {
    const TempDir temp;
    const ManifestWriter writer(temp.path().string());
    writer.write((temp / "m.sha256").string());
    EXPECT_TRUE(std::filesystem::exists(temp / "m.sha256"));
    EXPECT_EQ(read_file(temp / "m.sha256"), "");
}

} // namespace
} // namespace imgfetch
