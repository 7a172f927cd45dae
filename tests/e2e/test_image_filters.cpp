// The image check and filters through the real executable (issue 14 parts 1 to 3): a filtered
// URL is a success with its reason in the report and nothing saved; a truncated image fails the
// run; --verify none keeps it; an unknown --types name is a usage error naming it; the options
// from IMGFETCH_* and --config too.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"
#include "unit/image/image_samples.hpp"

namespace imgfetch {
namespace {

namespace fs = std::filesystem;
using test::contains;
using test::list_dir;
using test::run_imgfetch;
using test::sample_image;

// /gif, /png (37x23 samples) and /cut.png (the PNG without its second half).
class ImageFiltersCli : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string png = sample_image("sample.png");
        serve("/a.gif", sample_image("animated.gif"), "image/gif");
        serve("/a.png", png, "image/png");
        serve("/cut.png", png.substr(0, png.size() / 2), "image/png");
        test::write_file(temp / "urls.txt",
                         server.url("/a.gif") + "\n" + server.url("/a.png") + "\n");
        test::write_file(temp / "cut.txt", server.url("/cut.png") + "\n");
    }

    void serve(const std::string& path, std::string body, std::string type) {
        server.server().Get(path, [body = std::move(body), type = std::move(type)](
                                      const httplib::Request&, httplib::Response& res) {
            res.set_content(body, type);
        });
    }

    test::ProcessResult run(const std::string& list, std::vector<std::string> more,
                            const test::ChildSetup& setup = {}) {
        std::vector<std::string> all{
            (temp / list).string(), "-o", dir.string(), "--report", report(), "--retries", "1",
            "--retry-delay",        "0"};
        all.insert(all.end(), more.begin(), more.end());
        return run_imgfetch(all, temp.path(), "/dev/null", setup);
    }

    std::string report() const { return (temp / "report.json").string(); }
    nlohmann::json files() const {
        return nlohmann::json::parse(test::read_file(temp / "report.json"))["files"];
    }

    test::TestServer server;
    test::TempDir temp;
    const fs::path dir = temp / "out";
};

TEST_F(ImageFiltersCli, AFilteredUrlIsASuccessWithItsReasonAndNothingSaved) {
    const auto result = run("urls.txt", {"--reject-types", "GIF", "--min-width", "30"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    const nlohmann::json entries = files();
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[0]["status"], "filtered");
    EXPECT_EQ(entries[0]["reason"], "type gif rejected by --reject-types");
    EXPECT_EQ(entries[0]["attempts"], 1);
    EXPECT_EQ(entries[1]["status"], "ok");
    EXPECT_EQ(entries[1]["format"], "png");
    EXPECT_EQ(entries[1]["width"], 37);
    EXPECT_EQ(entries[1]["height"], 23);
    EXPECT_EQ(entries[1]["frames"], 1);
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"a.png"});
}

TEST_F(ImageFiltersCli, TheReportHasAnAnimatedGifsFramesAndTheBytesReceived) {
    const auto result = run("urls.txt", {"--min-height", "24"});

    EXPECT_EQ(result.exit_code, 0) << result.err;
    const nlohmann::json entries = files();
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[0]["status"], "filtered");
    EXPECT_EQ(entries[0]["reason"], "height 23 < --min-height 24");
    EXPECT_EQ(entries[0]["format"], "gif");
    EXPECT_EQ(entries[0]["frames"], 3);
    EXPECT_GT(entries[0]["received"].get<std::uint64_t>(), 0U);
    EXPECT_TRUE(list_dir(dir).empty());
}

TEST_F(ImageFiltersCli, ATruncatedImageFailsTheRunAfterItsRetriesAndVerifyNoneKeepsIt) {
    const auto failed = run("cut.txt", {"-q"});
    EXPECT_EQ(failed.exit_code, 1) << failed.err;
    EXPECT_TRUE(contains(failed.err, "truncated image (PNG: ")) << failed.err;
    EXPECT_EQ(files()[0]["attempts"], 2);
    EXPECT_TRUE(list_dir(dir).empty());

    const auto kept = run("cut.txt", {"-q", "--verify", "none"});
    EXPECT_EQ(kept.exit_code, 0) << kept.err;
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"cut.png"});
}

TEST_F(ImageFiltersCli, FiltersComeFromTheEnvironmentAndTheConfigFile) {
    test::write_file(temp / "conf.toml", "min-size = \"1M\"\n");
    const auto from_config = run("urls.txt", {"--config", (temp / "conf.toml").string()});
    EXPECT_EQ(from_config.exit_code, 0) << from_config.err;
    EXPECT_EQ(files()[1]["reason"], "size 5117 bytes < --min-size 1048576 bytes");

    test::ChildSetup env_setup;
    env_setup.environment["IMGFETCH_TYPES"] = "gif";
    const auto from_env = run("urls.txt", {}, env_setup);
    EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
    EXPECT_EQ(files()[1]["reason"], "type png not in --types");
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"a.gif"});
}

TEST_F(ImageFiltersCli, AnUnknownTypeOrVerifyModeIsAUsageErrorNamingIt) {
    const auto types = run("urls.txt", {"--types", "png,jxl"});
    EXPECT_EQ(types.exit_code, 2);
    EXPECT_TRUE(contains(types.err, "jxl")) << types.err;

    const auto verify = run("urls.txt", {"--verify", "pixels"});
    EXPECT_EQ(verify.exit_code, 2);
    EXPECT_TRUE(contains(verify.err, "pixels")) << verify.err;
    EXPECT_FALSE(fs::exists(temp / "report.json"));
}

} // namespace
} // namespace imgfetch
