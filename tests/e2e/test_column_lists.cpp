// Lists with columns through the real executable against a loopback server: CSV, TSV and JSON
// Lines lists with good rows, bad rows and a wrong expected hash (exit code, report, nothing
// saved for the wrong one), the header-row setup error, and the options from --config and
// IMGFETCH_*.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "imgfetch/list/sanitize.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::fake_png;
using test::list_dir;
using test::read_file;
using test::run_imgfetch;
using test::sha256_hex;
using test::TempDir;
using test::TestServer;

using test::contains;

std::string crlf_lines(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) {
        text += line + "\r\n";
    }
    return text;
}

// /img/<n>.png serves fake_png(n); every request is counted.
class ColumnLists : public ::testing::Test {
protected:
    void SetUp() override {
        server.server().Get(R"(/img/(\d+)\.png)",
                            [this](const httplib::Request& req, httplib::Response& res) {
                                ++requests;
                                res.set_content(fake_png(std::stoul(req.matches[1])), "image/png");
                            });
    }

    std::string url(int n) { return server.url("/img/" + std::to_string(n) + ".png"); }
    static std::string hash(int n) { return sha256_hex(fake_png(static_cast<std::size_t>(n))); }

    std::string write(const std::string& name, const std::string& text) {
        test::write_file(temp / name, text);
        return (temp / name).string();
    }

    std::vector<std::string> args(const std::string& list, std::vector<std::string> more = {}) {
        std::vector<std::string> all{list,          "-o",        dir.string(), "--report",
                                     report_path(), "--retries", "0",          "-q"};
        all.insert(all.end(), more.begin(), more.end());
        return all;
    }

    std::string report_path() const { return (temp / "report.json").string(); }
    json report() const { return json::parse(read_file(temp / "report.json")); }

    // The report's entry for list line `line`.
    json entry_of_line(std::size_t line) const {
        const json whole = report(); // kept: a loop over report()["files"] would dangle
        for (const json& file : whole["files"]) {
            if (file["line"] == line) {
                return file;
            }
        }
        return json{};
    }

    TestServer server;
    TempDir temp;
    const fs::path dir = temp / "out";
    std::atomic<int> requests{0};
};

TEST_F(ColumnLists, ACsvListSavesItsGoodRowsUnderTheirNamesAndNothingForAWrongHash) {
    const std::string wrong = hash(9); // the hash of another image
    const std::string list =
        write("images.csv", crlf_lines({
                                "id,url,file,sha",
                                "1," + url(1) + ",\"cat, big.png\"," + hash(1),
                                "2," + url(2) + ",wrong.png," + wrong,
                                "3,not-a-url,x.png,",
                                "4," + url(4),
                                "\"5\"\"\",\"" + url(5) + "\",\"fifth\nrow.png\",",
                            }));

    const auto result =
        run_imgfetch(args(list, {"--name-column", "file", "--sha256-column", "sha"}), temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    // The name with a line break inside quotes is sanitized like any other.
    const std::string fifth_name = sanitize_file_name("fifth\nrow.png");
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"cat, big.png", fifth_name}));
    EXPECT_EQ(read_file(dir / "cat, big.png"), fake_png(1));
    const json wrong_entry = entry_of_line(3);
    EXPECT_EQ(wrong_entry["status"], "failed");
    EXPECT_EQ(wrong_entry["error"],
              "checksum mismatch (expected " + wrong + ", got " + hash(2) + ")");
    EXPECT_EQ(wrong_entry["path"], nullptr);
    EXPECT_TRUE(contains(entry_of_line(4)["error"], "images.csv:4: not an http(s) URL"));
    EXPECT_TRUE(
        contains(entry_of_line(5)["error"], "images.csv:5: row has 2 fields; the header has 4"));
    // Checked without --checksum; the matching one's digest is in the report.
    EXPECT_EQ(entry_of_line(2)["sha256"], hash(1));
}

TEST_F(ColumnLists, ATsvListIsKnownByItsExtensionAndItsUrlColumnCanBeNamed) {
    const std::string list = write("l.tsv", "\xEF\xBB\xBFlink\tsha256\n" + url(1) + "\t" + hash(1) +
                                                "\n\n" + url(2) + "\t" + hash(3) + "\n");

    const auto result = run_imgfetch(
        args(list, {"--url-column", "link", "--sha256-column", "sha256"}), temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"1.png"}));
    EXPECT_TRUE(contains(entry_of_line(4)["error"], "checksum mismatch")) << entry_of_line(4);
}

TEST_F(ColumnLists, AJsonLinesListFromStandardInputReadsWhenTold) {
    const std::string list = write("l.txt", "{\"url\":\"" + url(1) +
                                                "\",\"name\":\"one.png\"}\n"
                                                "{\"url\": 7}\n"
                                                "{broken\n"
                                                "{\"url\":\"" +
                                                url(2) + "\",\"sha256\":\"" + hash(2) +
                                                "\",\"headers\":{\"X-Set\":\"1\"}}\n"
                                                "{\"url\":\"" +
                                                url(3) + "\",\"sha256\":\"" + hash(1) + "\"}\n");

    const auto result = run_imgfetch(args("-", {"--input-format", "jsonl"}), temp.path(), list);

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"2.png", "one.png"}));
    EXPECT_EQ(entry_of_line(2)["error"], "<stdin>:2: \"url\" is not a string");
    EXPECT_TRUE(contains(entry_of_line(3)["error"], "<stdin>:3: bad JSON")) << entry_of_line(3);
    EXPECT_TRUE(contains(entry_of_line(5)["error"], "checksum mismatch")) << entry_of_line(5);
}

TEST_F(ColumnLists, StandardInputIsTextUnlessTold) {
    const std::string list = write("l.csv", "url\n" + url(1) + "\n");

    const auto result = run_imgfetch(args("-"), temp.path(), list);

    EXPECT_EQ(result.exit_code, 1) << result.err; // "url" is a bad text line
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"1.png"}));
    EXPECT_TRUE(contains(entry_of_line(1)["error"], "not an http(s) URL: url"));
}

TEST_F(ColumnLists, AHeaderWithoutTheUrlColumnIsASetupErrorBeforeAnyRequest) {
    const std::string list = write("images.csv", "link,name\n" + url(1) + ",a.png\n");

    const auto result = run_imgfetch(args(list), temp.path());

    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(contains(result.err, "images.csv")) << result.err;
    EXPECT_TRUE(contains(result.err, "no column 'url'")) << result.err;
    EXPECT_TRUE(contains(result.err, "'link', 'name'")) << result.err;
    EXPECT_EQ(requests.load(), 0);
}

TEST_F(ColumnLists, TheOptionsComeFromTheEnvironmentAndTheConfigFileToo) {
    const std::string list = write("l.txt", "link,file\n" + url(1) + ",from-config.png\n");
    const std::string config =
        write("imgfetch.toml", "input-format = \"csv\"\nurl-column = \"link\"\n");
    test::ChildProcess::Setup setup;
    setup.environment["IMGFETCH_NAME_COLUMN"] = "file";

    const auto result =
        run_imgfetch(args(list, {"--config", config}), temp.path(), "/dev/null", setup);

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"from-config.png"}));
}

TEST_F(ColumnLists, ABadFormatNameIsAUsageError) {
    const auto result = run_imgfetch({"--input-format", "xml", "l.txt"}, temp.path());
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(contains(result.err, "--input-format")) << result.err;
}

} // namespace
} // namespace imgfetch
