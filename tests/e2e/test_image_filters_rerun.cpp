// A rerun remembers what the filters turned away, through the real executable against a loopback
// server: a URL filtered by --min-width is not requested again by a rerun with the same filters
// (reported `filtered`, exit 0), is requested again when a filter changes or with
// --existing overwrite, and the memory file in DIR never holds the URL.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

namespace fs = std::filesystem;

// /img/<n>.png serves fake_png(n), which is fake_width(n) = 32 + n % 97 pixels wide; the
// requests for each n are counted.
class FilterRerun : public ::testing::Test {
protected:
    void SetUp() override {
        server.server().Get(R"(/img/(\d+)\.png)",
                            [this](const httplib::Request& req, httplib::Response& res) {
                                const std::size_t n = std::stoul(req.matches[1]);
                                ++(n == k_narrow ? narrow_requests : wide_requests);
                                res.set_content(test::fake_png(n), "image/png");
                            });
        test::write_file(temp / "list.txt",
                         server.url("/img/1.png") + "\n" + server.url("/img/90.png") + "\n");
    }

    test::ProcessResult run_with(std::vector<std::string> more) {
        std::vector<std::string> all{(temp / "list.txt").string(),    "-o",
                                     (temp / "out").string(),         "--report",
                                     (temp / "report.json").string(), "-q"};
        all.insert(all.end(), more.begin(), more.end());
        return test::run_imgfetch(all, temp.path());
    }

    nlohmann::json narrow_entry() const {
        return nlohmann::json::parse(test::read_file(temp / "report.json"))["files"][0];
    }

    static constexpr std::size_t k_narrow = 1; // 33 pixels wide
    test::TestServer server;
    test::TempDir temp;
    std::atomic<int> narrow_requests{0};
    std::atomic<int> wide_requests{0}; // /img/90.png: 122 pixels wide
};

TEST_F(FilterRerun, ARerunWithTheSameFiltersMakesNoRequestForAFilteredUrl) {
    const auto first = run_with({"--min-width", "100"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(narrow_entry()["status"], "filtered");
    EXPECT_EQ(narrow_requests, 1);
    EXPECT_FALSE(fs::exists(temp / "out" / "1.png"));
    EXPECT_TRUE(fs::exists(temp / "out" / "90.png"));

    const auto again = run_with({"--min-width", "100"});

    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(narrow_requests, 1) << "remembered: no second request";
    EXPECT_EQ(wide_requests, 1) << "the saved one is skipped as an existing file";
    const nlohmann::json entry = narrow_entry();
    EXPECT_EQ(entry["status"], "filtered");
    EXPECT_TRUE(test::contains(entry["reason"].get<std::string>(), "filtered in an earlier run: "))
        << entry.dump();
    EXPECT_EQ(entry["attempts"], 0);
    const std::string memory = test::read_file(temp / "out" / ".imgfetch.filtered");
    EXPECT_FALSE(test::contains(memory, "/img/1.png")) << "the URL itself is never written";
}

TEST_F(FilterRerun, AChangedFilterOrExistingOverwriteFetchesItAgain) {
    ASSERT_EQ(run_with({"--min-width", "100"}).exit_code, 0);
    ASSERT_EQ(narrow_requests, 1);

    ASSERT_EQ(run_with({"--min-width", "101"}).exit_code, 0);
    EXPECT_EQ(narrow_requests, 2) << "another filter may decide otherwise";

    ASSERT_EQ(run_with({"--min-width", "100", "--existing", "overwrite"}).exit_code, 0);
    EXPECT_EQ(narrow_requests, 3);

    ASSERT_EQ(run_with({}).exit_code, 0);
    EXPECT_EQ(narrow_requests, 4) << "no filter: nothing is remembered, it is saved";
    EXPECT_TRUE(fs::exists(temp / "out" / "1.png"));
}

} // namespace
} // namespace imgfetch
