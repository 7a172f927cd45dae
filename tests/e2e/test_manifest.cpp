// --manifest through the real executable: a sha256sum line for each file saved in the run (not
// for failed, duplicate or skipped ones), which the real `cd DIR && sha256sum -c FILE` accepts
// and which catches a file changed afterwards; it turns hashing on for the report too.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

namespace fs = std::filesystem;
using test::contains;
using test::fake_jpeg;
using test::fake_png;
using test::read_file;
using test::sha256_hex;
using test::TempDir;

class ManifestRun : public ::testing::Test {
protected:
    ManifestRun() {
        server.server().Get(R"(/img/(\d+)\.png)",
                            [](const httplib::Request& req, httplib::Response& res) {
                                res.set_content(fake_png(std::stoul(req.matches[1])), "image/png");
                            });
        server.server().Get("/photo.jpg", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(fake_jpeg(7), "image/jpeg");
        });
        std::string text;
        for (const std::string& url :
             {server.url("/img/1.png"), server.url("/missing.png"), server.url("/photo.jpg"),
              server.url("/img/1.png"), server.url("/img/2.png")}) {
            text += url + "\n";
        }
        test::write_file(temp / "list.txt", text);
    }

    test::ProcessResult run() {
        return test::run_imgfetch({(temp / "list.txt").string(), "-o", dir.string(), "--retries",
                                   "0", "-q", "--manifest", manifest.string(), "--report",
                                   (temp / "report.json").string()},
                                  temp.path());
    }

    // The real `sha256sum -c MANIFEST` run inside DIR: its exit code (-1: killed or hung).
    int sha256sum_check(std::string& output) {
        test::ChildProcess check({"/bin/sh", "-c", "cd \"$0\" && exec sha256sum -c \"$1\"",
                                  dir.string(), manifest.string()},
                                 test::child_io(temp.path(), "sha256sum"));
        const std::optional<test::ExitStatus> status =
            check.wait_for_exit(std::chrono::seconds(60));
        output = check.out() + check.err();
        return status && status->signal == 0 ? status->code : -1;
    }

    TempDir temp;
    test::TestServer server;
    const fs::path dir = temp / "out";
    const fs::path manifest = temp / "out.sha256";
};

TEST_F(ManifestRun, ListsTheSavedFilesForSha256sumToCheck) {
    const auto result = run();
    EXPECT_EQ(result.exit_code, 1) << result.err; // the 404
    // In list order, names relative to DIR; the 404 and the duplicate have no line.
    EXPECT_EQ(read_file(manifest), sha256_hex(fake_png(1)) + "  1.png\n" +
                                       sha256_hex(fake_jpeg(7)) + "  photo.jpg\n" +
                                       sha256_hex(fake_png(2)) + "  2.png\n");
    // Hashing is on without --checksum: the report has the same digests.
    const auto report = nlohmann::json::parse(read_file(temp / "report.json"));
    EXPECT_EQ(report["files"][2]["sha256"], sha256_hex(fake_jpeg(7)));

    std::string output;
    EXPECT_EQ(sha256sum_check(output), 0) << output;
    EXPECT_TRUE(contains(output, "photo.jpg: OK")) << output;

    test::write_file(dir / "2.png", "not what was downloaded");
    EXPECT_EQ(sha256sum_check(output), 1) << output;
    EXPECT_TRUE(contains(output, "2.png: FAILED")) << output;
}

TEST_F(ManifestRun, ARerunThatSavesNothingWritesAnEmptyManifest) {
    ASSERT_EQ(run().exit_code, 1);
    ASSERT_FALSE(read_file(manifest).empty());
    // Everything is there already (--existing skip): nothing saved in this run, no line.
    EXPECT_EQ(run().exit_code, 1);
    EXPECT_TRUE(fs::exists(manifest));
    EXPECT_EQ(read_file(manifest), "");
}

TEST_F(ManifestRun, AnUnwritableManifestStopsTheRunBeforeAnyDownload) {
    const auto result = test::run_imgfetch({(temp / "list.txt").string(), "-o", dir.string(),
                                            "--manifest", (temp / "no" / "m.sha256").string()},
                                           temp.path());
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(contains(result.err, "cannot write manifest")) << result.err;
    EXPECT_FALSE(fs::exists(dir / "1.png"));
}

} // namespace
} // namespace imgfetch
