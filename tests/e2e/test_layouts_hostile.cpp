// --layout url against hostile URL paths and planted symlinks, through the real executable: every
// folder a URL makes is a sanitized segment inside DIR, and a symlink planted in DIR makes its
// URLs fail without a byte written through it while the other URLs still succeed.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/images.hpp"
#include "support/layout_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace layouts_hostile_e2e {

namespace fs = std::filesystem;
using Files = std::map<std::string, std::string>;
using test::fake_png;

class HostileLayouts : public test::LayoutRuns {};

TEST_F(HostileLayouts, UrlLayoutTurnsHostilePathsIntoSanitizedFoldersInsideDir) {
    const std::string long_folder(300, 'L'); // one segment cut to 200 bytes
    // {raw URL path, path expected under DIR/127.0.0.1_PORT/}
    const std::vector<std::pair<std::string, std::string>> cases{
        {"/%2e%2e/%2E%2E/up.png", "up.png"},
        {"/%2e%2e%2f%2e%2e%2fetc/passwd.png", "_.._etc/passwd.png"},
        {"/x%2Fy/..%2F..%2Fz/slash.png", "x_y/_.._z/slash.png"},
        {"/a%5Cb/c%5C..%5Cd.png", "a_b/c_.._d.png"},
        {"/r\\s/..\\t.png", "r_s/_t.png"},
        {"/" + long_folder + "/long.png", std::string(200, 'L') + "/long.png"},
        {"/c%01d%1B%7F/e%0Af.png", "c_d__/e_f.png"},
        {"/%FF%FEbad/%C3%28.png", "\xFF\xFE"
                                  "bad/\xC3(.png"},
        {"/e//f///g.png", "e/f/g.png"},
        {"/.hidden/...dots/.%20./x.png", "hidden/dots/x.png"},
        {"/CON/lpt1/aux.png", "_CON/_lpt1/_aux.png"},
        {"/a/../../../../etc/cron.png", "etc/cron.png"},
    };
    std::vector<std::string> lines;
    Files expected;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        lines.push_back(url(cases[i].first, static_cast<int>(i)));
        expected[host() + "/" + cases[i].second] = png(i);
    }

    const auto result = fetch(lines, {"--layout", "url"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(tree_of(dir), expected);
    expect_nothing_beside_dir();
    const nlohmann::json files = report_files();
    ASSERT_EQ(files.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        EXPECT_EQ(files[i]["status"], "ok") << cases[i].first << files[i];
    }
}

TEST_F(HostileLayouts, APathTooLongInAllLosesItsDeepestFoldersAndKeepsItsFileName) {
    // 20 folders of 200 bytes: with the host folder (at most 15 bytes) and "deep.png", 15 of
    // them fit the 3072 bytes in all (16 + 15 * 201 + 9 = 3040), a 16th would not (3241).
    std::string path;
    std::string kept;
    for (int i = 0; i < 20; ++i) {
        const std::string folder = std::to_string(10 + i) + std::string(198, 'd');
        path += "/" + folder;
        if (i < 15) {
            kept += folder + "/";
        }
    }

    const auto result = fetch({url(path + "/deep.png", 1)}, {"--layout", "url"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(tree_of(dir), (Files{{host() + "/" + kept + "deep.png", png(1)}}));
}

TEST_F(HostileLayouts, APlantedSymlinkForTheHostFolderFailsItsUrlsAndNothingIsWrittenThroughIt) {
    test::TestServer other("127.0.0.2");
    other.server().Get("/a/img.png", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(fake_png(2), "image/png");
    });
    const std::string other_host = "127.0.0.2_" + std::to_string(other.port());
    fs::create_directories(dir);
    fs::create_directories(temp / "elsewhere");
    fs::create_directory_symlink(temp / "elsewhere", dir / host());

    const auto result = fetch({url("/a/img.png", 1), other.url("/a/img.png"), url("/top.png", 3)},
                              {"--layout", "url"});

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_TRUE(fs::is_empty(temp / "elsewhere"));
    EXPECT_EQ(tree_of(dir), (Files{{host(), "<symlink>"}, {other_host + "/a/img.png", png(2)}}));
    expect_nothing_beside_dir();
    const nlohmann::json files = report_files();
    ASSERT_EQ(files.size(), 3U);
    const std::string refused = "cannot open directory '" + host() + "' ('" + host() +
                                "' is a symlink or not a directory; refused)";
    for (const std::size_t i : {0U, 2U}) {
        EXPECT_EQ(files[i]["status"], "failed") << files[i];
        EXPECT_TRUE(files[i]["path"].is_null()) << files[i];
        EXPECT_TRUE(files[i]["error"].is_string() &&
                    test::contains(files[i]["error"].get<std::string>(), refused))
            << files[i];
    }
    EXPECT_EQ(files[1]["status"], "ok") << files[1];
    EXPECT_TRUE(test::contains(result.err, refused)) << result.err;
}

TEST_F(HostileLayouts, APlantedSymlinkDeeperDownFailsOnlyTheUrlsBelowIt) {
    fs::create_directories(dir / host());
    fs::create_directories(temp / "elsewhere");
    fs::create_directory_symlink(temp / "elsewhere", dir / host() / "a");

    const auto result = fetch({url("/a/b/img.png", 1), url("/b/img.png", 2)}, {"--layout", "url"});

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_TRUE(fs::is_empty(temp / "elsewhere"));
    EXPECT_EQ(tree_of(dir), (Files{{host() + "/a", "<symlink>"}, {host() + "/b/img.png", png(2)}}));
    const nlohmann::json files = report_files();
    ASSERT_EQ(files.size(), 2U);
    EXPECT_EQ(files[0]["status"], "failed") << files[0];
    EXPECT_TRUE(files[0]["error"].is_string() &&
                test::contains(files[0]["error"].get<std::string>(), "'a' is a symlink"))
        << files[0];
    EXPECT_EQ(files[1]["status"], "ok") << files[1];
}

TEST_F(HostileLayouts, ASymlinkAtTheFileItselfIsReplacedNotFollowed) {
    fs::create_directories(dir / host() / "a");
    test::write_file(temp / "precious.txt", "precious");
    fs::create_symlink(temp / "precious.txt", dir / host() / "a" / "img.png");

    const auto result = fetch({url("/a/img.png", 1)}, {"--layout", "url"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(test::read_file(temp / "precious.txt"), "precious");
    EXPECT_EQ(tree_of(dir), (Files{{host() + "/a/img.png", png(1)}}));
}

} // namespace layouts_hostile_e2e
} // namespace imgfetch
