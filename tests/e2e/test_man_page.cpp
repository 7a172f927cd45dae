// The manual page (docs/imgfetch.1): it documents every option --help shows, renders without
// warnings, and CMake installs it.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_process.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::ChildProcess;
using test::exited_with;
using test::find_on_path;
using test::TempDir;
using namespace std::chrono_literals;

// The man page's text with roff's "\-" as "-" and font escapes removed.
std::string man_page_text() {
    std::string text = test::read_file(IMGFETCH_MAN_PAGE);
    text = std::regex_replace(text, std::regex(R"(\\-)"), "-");
    return std::regex_replace(text, std::regex(R"(\\f[BIRP])"), "");
}

TEST(ManPage, DocumentsEveryOptionOfHelp) {
    TempDir temp;
    const test::ProcessResult help = test::run_imgfetch({"--help"}, temp.path());
    ASSERT_EQ(help.exit_code, 0);
    const std::string page = man_page_text();
    ASSERT_FALSE(page.empty()) << "cannot read " << IMGFETCH_MAN_PAGE;

    // Option lines of --help: "  -o,--output DIR   ..." or "  --sequential   ...".
    const std::regex option_line(R"(^\s+((?:-[A-Za-z],)?--[a-z][a-z0-9-]*))");
    std::vector<std::string> options;
    std::istringstream lines(help.out);
    for (std::string line; std::getline(lines, line);) {
        std::smatch match;
        if (std::regex_search(line, match, option_line)) {
            std::istringstream names(match[1].str());
            for (std::string name; std::getline(names, name, ',');) {
                options.push_back(name);
            }
        }
    }
    ASSERT_GE(options.size(), 35U) << "could not read the options of --help:\n" << help.out;
    for (const std::string& option : options) {
        // The option as a word: "--shard" must not be satisfied by "--shards".
        const std::regex word("(^|[^A-Za-z0-9-])" + option + "($|[^A-Za-z0-9-])");
        EXPECT_TRUE(std::regex_search(page, word)) << option << " is missing from docs/imgfetch.1";
    }
}

TEST(ManPage, RendersWithoutWarnings) {
    const auto groff = find_on_path("groff");
    if (!groff) {
        GTEST_SKIP() << "groff is not installed";
    }
    TempDir temp;
    ChildProcess render({*groff, "-man", "-Tutf8", "-ww", "-z", IMGFETCH_MAN_PAGE},
                        {"/dev/null", temp / "out", temp / "err"});
    EXPECT_EQ(render.wait_for_exit(30s), exited_with(0)) << render.err();
    EXPECT_EQ(render.err(), "");
}

TEST(ManPage, CmakeInstallPutsItInShareManMan1) {
    TempDir temp;
    ChildProcess install({IMGFETCH_CMAKE_COMMAND, "--install", IMGFETCH_BUILD_DIR, "--prefix",
                          (temp / "prefix").string()},
                         {"/dev/null", temp / "out", temp / "err"});
    ASSERT_EQ(install.wait_for_exit(60s), exited_with(0)) << install.out() << install.err();

    const auto installed = temp / "prefix" / "share" / "man" / "man1" / "imgfetch.1";
    ASSERT_TRUE(std::filesystem::exists(installed)) << install.out();
    EXPECT_EQ(test::read_file(installed), test::read_file(IMGFETCH_MAN_PAGE));
    EXPECT_TRUE(std::filesystem::exists(temp / "prefix" / "bin" / "imgfetch"));
}

} // namespace
} // namespace imgfetch
