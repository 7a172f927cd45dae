// --layout url and --name-template through the real executable against a loopback server: files
// land in host and path folders with the bytes the server sent, templates give the same names on
// every run, {sha256} gives equal bytes one file, a rerun skips what a layout saved without a
// request, and the report names each file's path inside its folders. Hostile paths and planted
// symlinks: test_layouts_hostile.cpp.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/images.hpp"
#include "support/layout_fixture.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace layouts_e2e {

namespace fs = std::filesystem;
using Files = std::map<std::string, std::string>;
using test::fake_png;

class Layouts : public test::LayoutRuns {};

TEST_F(Layouts, UrlLayoutPutsSameNamedFilesFromTwoPathsInTheirOwnHostAndPathFolders) {
    const auto result = fetch({url("/a/img.png", 1), url("/b/img.png", 2)}, {"--layout", "url"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    // The host folder carries the port, as the README says: 127.0.0.1_PORT.
    EXPECT_EQ(test::list_dir(dir), std::vector<std::string>{host()});
    EXPECT_EQ(tree_of(dir),
              (Files{{host() + "/a/img.png", png(1)}, {host() + "/b/img.png", png(2)}}));
    expect_nothing_beside_dir();
}

TEST_F(Layouts, UrlLayoutNamesAFileWithoutAnExtensionByItsBytesInsideItsFolder) {
    const auto result = fetch({url("/n/photo", 3)}, {"--layout", "url"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(tree_of(dir), (Files{{host() + "/n/photo.png", png(3)}}));
}

TEST_F(Layouts, LayoutUrlAndANameTemplateTogetherAreAUsageError) {
    const auto result =
        fetch({url("/a/img.png", 1)}, {"--layout", "url", "--name-template", "{name}"});

    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(test::contains(result.err, "give one")) << result.err;
    EXPECT_EQ(requests(), 0);
}

TEST_F(Layouts, AnUnknownTemplateFieldIsAUsageErrorNamingIt) {
    const auto result = fetch({url("/a/img.png", 1)}, {"--name-template", "{host}/{nope}"});

    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(test::contains(result.err, "{nope}")) << result.err;
    EXPECT_EQ(requests(), 0);
}

TEST_F(Layouts, StemLineAndExtTemplateGivesTheSameNamesOnEveryRunWhateverTheWorkers) {
    // {line} is the line in the list: the comment and the blank line count.
    const std::vector<std::string> lines{url("/a/img.png", 1), "# a comment", "",
                                         url("/b/img.png", 2), url("/c/photo.jpg", 3)};
    const std::string pattern = "{host}/{stem}-{line}.{ext}";
    const Files expected{{host() + "/img-1.png", png(1)},
                         {host() + "/img-4.png", png(2)},
                         {host() + "/photo-5.jpg", png(3)}};

    const auto first = fetch(lines, {"--name-template", pattern, "-j", "4"});
    const auto second = fetch(lines, {"--name-template", pattern, "--sequential"}, temp / "again");

    EXPECT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(tree_of(dir), expected);
    EXPECT_EQ(tree_of(temp / "again"), expected);
}

TEST_F(Layouts, ContentAddressedTemplateGivesEqualBytesFromTwoUrlsOneFileThatBothReport) {
    const std::vector<std::string> lines{url("/s/one.png", 5), url("/t/two.png", 5),
                                         url("/u/three.png", 6)};
    const std::string five = test::sha256_hex(fake_png(5)) + ".png";
    const std::string six = test::sha256_hex(fake_png(6)) + ".png";
    const Files expected{{five, png(5)}, {six, png(6)}};

    const auto first = fetch(lines, {"--name-template", "{sha256}.{ext}", "-j", "3"});

    EXPECT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(tree_of(dir), expected);
    const nlohmann::json files = report_files();
    ASSERT_EQ(files.size(), 3U);
    for (std::size_t i = 0; i < files.size(); ++i) {
        EXPECT_EQ(files[i]["status"], "ok") << files[i];
        EXPECT_EQ(files[i]["path"], (dir / (i < 2 ? five : six)).string()) << files[i];
        EXPECT_EQ(files[i]["sha256"], (i < 2 ? five : six).substr(0, 64)) << files[i];
    }

    // Another DIR: the same names. The same DIR: --existing cannot know a content's name before
    // the download, so every URL is fetched again, into the same two files.
    const auto elsewhere = fetch(lines, {"--name-template", "{sha256}.{ext}"}, temp / "again");
    const auto rerun = fetch(lines, {"--name-template", "{sha256}.{ext}"});

    EXPECT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
    EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(tree_of(temp / "again"), expected);
    EXPECT_EQ(tree_of(dir), expected);
    EXPECT_EQ(requests(), 9);
}

TEST_F(Layouts, ContentAddressedFoldersFromTheTemplateHoldTheDigestName) {
    const auto result = fetch({url("/a/img.png", 7)}, {"--name-template", "{host}/{dir}/{sha256}"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    const std::string name = host() + "/a/" + test::sha256_hex(fake_png(7)) + ".png";
    EXPECT_EQ(tree_of(dir), (Files{{name, png(7)}}));
}

TEST_F(Layouts, ARerunWithExistingSkipMakesNoRequestForFilesTheUrlLayoutSaved) {
    const std::vector<std::string> lines{url("/a/img.png", 1), url("/b/c/img.png", 2),
                                         url("/n/photo", 3)};
    const auto first = fetch(lines, {"--layout", "url"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    ASSERT_EQ(requests(), 3);
    const Files saved = tree_of(dir);

    const auto rerun = fetch(lines, {"--layout", "url", "--existing", "skip"});

    EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(requests(), 3);
    EXPECT_EQ(tree_of(dir), saved);
    const nlohmann::json files = report_files();
    ASSERT_EQ(files.size(), 3U);
    const std::vector<std::string> paths{"/a/img.png", "/b/c/img.png", "/n/photo.png"};
    for (std::size_t i = 0; i < paths.size(); ++i) {
        EXPECT_EQ(files[i]["status"], "skipped") << files[i];
        EXPECT_EQ(files[i]["attempts"], 0) << files[i];
        EXPECT_EQ(files[i]["path"], dir.string() + "/" + host() + paths[i]) << files[i];
    }
}

TEST_F(Layouts, TheReportNamesEachPathInsideItsFoldersForNewNumberedAndDuplicateFiles) {
    // Two URLs, one path: the second gets the usual "-2". The third line is the first again.
    const std::vector<std::string> lines{url("/a/img.png", 1), url("/a/img.png", 2),
                                         url("/a/img.png", 1)};

    const auto result = fetch(lines, {"--layout", "url"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    const std::string folder = dir.string() + "/" + host() + "/a/";
    const nlohmann::json files = report_files();
    ASSERT_EQ(files.size(), 3U);
    EXPECT_EQ(files[0]["status"], "ok");
    EXPECT_EQ(files[0]["path"], folder + "img.png");
    EXPECT_EQ(files[1]["status"], "ok");
    EXPECT_EQ(files[1]["path"], folder + "img-2.png");
    EXPECT_EQ(files[2]["status"], "duplicate");
    EXPECT_EQ(files[2]["path"], folder + "img.png");
    EXPECT_EQ(tree_of(dir),
              (Files{{host() + "/a/img.png", png(1)}, {host() + "/a/img-2.png", png(2)}}));
}

// The server's name (--content-disposition) replaces the last segment of the layout's path; the
// folders stay, so --layout url still puts the file under DIR/host/path/.
TEST_F(Layouts, ContentDispositionNamesTheFileInsideTheFoldersOfTheUrlLayout) {
    const auto result = fetch({server.url("/a/x.png?b=1&cd=srv.png")},
                              {"--layout", "url", "--content-disposition"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(tree_of(dir), (Files{{host() + "/a/srv.png", png(1)}}));
}

} // namespace layouts_e2e
} // namespace imgfetch
