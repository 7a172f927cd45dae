// Decisions by a body's bytes through the real executable against a loopback server (issue 14
// parts 4 and 5): --reject-hash placeholders (filtered, not saved; its usage errors), the
// report's effective_url after redirects, duplicate_of for the same bytes from two URLs under
// -j 8, and --dedupe link's hard link.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <filesystem>
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
using test::fake_png;
using test::list_dir;
using test::read_file;
using test::run_imgfetch;
using test::sha256_hex;
using test::TempDir;
using test::TestServer;

// The bytes of the server's "image removed" placeholder.
constexpr std::size_t k_content_identity_placeholder_seed = 99;

// /img/<n>.png serves fake_png(n); /same/<name>.png serves fake_png(7) whatever the name;
// /gone/<n>.png redirects (302) to /removed.png, the placeholder; /hop/<k>/<n>.png redirects
// k times before /img/<n>.png; /cred/<n>.png redirects to /img/<n>.png with credentials in the
// Location.
class ContentIdentity : public ::testing::Test {
protected:
    void SetUp() override {
        auto& http = server.server();
        http.Get(R"(/img/(\d+)\.png)", [](const httplib::Request& req, httplib::Response& res) {
            res.set_content(fake_png(std::stoul(req.matches[1])), "image/png");
        });
        http.Get(R"(/same/(\w+)\.png)", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(fake_png(7), "image/png");
        });
        http.Get("/removed.png", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(fake_png(k_content_identity_placeholder_seed), "image/png");
        });
        http.Get(R"(/gone/(\d+)\.png)", [](const httplib::Request&, httplib::Response& res) {
            res.set_redirect("/removed.png", 302);
        });
        http.Get(
            R"(/hop/(\d+)/(\d+)\.png)", [](const httplib::Request& req, httplib::Response& res) {
                const unsigned left = std::stoul(req.matches[1]);
                const std::string n = req.matches[2];
                res.set_redirect(left <= 1 ? "/img/" + n + ".png"
                                           : "/hop/" + std::to_string(left - 1) + "/" + n + ".png",
                                 302);
            });
        http.Get(R"(/cred/(\d+)\.png)", [this](const httplib::Request& req,
                                               httplib::Response& res) {
            res.set_redirect("http://someone:hunter2@127.0.0.1:" + std::to_string(server.port()) +
                                 "/img/" + std::string(req.matches[1]) + ".png",
                             302);
        });
    }

    std::string write(const std::string& name, const std::string& text) {
        test::write_file(temp / name, text);
        return (temp / name).string();
    }

    std::string list_of(const std::vector<std::string>& paths) {
        std::string text;
        for (const std::string& path : paths) {
            text += server.url(path) + "\n";
        }
        return write("urls.txt", text);
    }

    std::vector<std::string> args(const std::string& list, std::vector<std::string> more = {}) {
        std::vector<std::string> all{list,          "-o",        dir.string(), "--report",
                                     report_path(), "--retries", "0",          "-q"};
        all.insert(all.end(), more.begin(), more.end());
        return all;
    }

    std::string report_path() const { return (temp / "report.json").string(); }

    // The report's entry for list line `line`.
    nlohmann::json entry_of_line(std::size_t line) const {
        const nlohmann::json whole = nlohmann::json::parse(read_file(temp / "report.json"));
        for (const nlohmann::json& file : whole["files"]) {
            if (file["line"] == line) {
                return file;
            }
        }
        return nlohmann::json{};
    }

    TestServer server;
    TempDir temp;
    const fs::path dir = temp / "out";
};

std::string content_identity_upper(std::string text) {
    for (char& c : text) {
        c = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return text;
}

TEST_F(ContentIdentity, ABodyWithARejectedHashIsFilteredAsPlaceholderAndNotSaved) {
    const std::string placeholder = sha256_hex(fake_png(k_content_identity_placeholder_seed));
    // Upper case, a comment, a blank line and sha256sum's own format are all accepted.
    const std::string hashes =
        write("placeholders.txt", "# removed images\n\n" + sha256_hex(fake_png(50)) + "\n" +
                                      content_identity_upper(placeholder) + "  removed.png\n");
    const std::string list = list_of({"/img/1.png", "/gone/2.png", "/removed.png"});

    const auto result = run_imgfetch(args(list, {"-j", "3", "--reject-hash", hashes}), temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err; // filtered counts as success
    // Neither placeholder is under any name, nor is a temporary left.
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"1.png"}));
    for (const std::size_t line : {2U, 3U}) {
        const nlohmann::json entry = entry_of_line(line);
        EXPECT_EQ(entry["status"], "filtered") << entry;
        EXPECT_EQ(entry["reason"], "placeholder") << entry;
        EXPECT_EQ(entry["path"], nullptr) << entry;
        EXPECT_EQ(entry["attempts"], 1) << entry; // not retried
    }
    // Where the "image removed" redirect landed.
    EXPECT_EQ(entry_of_line(2)["effective_url"], server.url("/removed.png"));
    EXPECT_EQ(entry_of_line(3)["effective_url"], nullptr);
    EXPECT_EQ(entry_of_line(1)["status"], "ok");
    EXPECT_EQ(read_file(dir / "1.png"), fake_png(1));
}

TEST_F(ContentIdentity, ABadRejectHashLineIsAUsageErrorNamingFileAndLine) {
    const std::string hashes = write("bad.txt", "# ok so far\n" + sha256_hex("x") + "\n" +
                                                    sha256_hex("y").substr(1) + "\n");
    const std::string list = list_of({"/img/1.png"});

    const auto result = run_imgfetch(args(list, {"--reject-hash", hashes}), temp.path());

    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_TRUE(contains(result.err, "--reject-hash " + hashes + ": line 3")) << result.err;
    EXPECT_FALSE(fs::exists(dir / "1.png"));
}

TEST_F(ContentIdentity, AMissingRejectHashFileIsAUsageError) {
    const std::string missing = (temp / "no-such-hashes.txt").string();
    const auto result =
        run_imgfetch(args(list_of({"/img/1.png"}), {"--reject-hash", missing}), temp.path());

    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_TRUE(contains(result.err, missing)) << result.err;
}

TEST_F(ContentIdentity, EffectiveUrlIsWhereTheLastRedirectLedWithCredentialsRedacted) {
    const std::string list = list_of({"/hop/3/4.png", "/img/5.png", "/cred/6.png"});

    const auto result = run_imgfetch(args(list), temp.path());

    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(entry_of_line(1)["effective_url"], server.url("/img/4.png"));
    EXPECT_EQ(read_file(dir / "4.png"), fake_png(4));
    EXPECT_EQ(entry_of_line(2)["effective_url"], nullptr); // no redirect
    const std::string port = std::to_string(server.port());
    EXPECT_EQ(entry_of_line(3)["effective_url"], "http://***@127.0.0.1:" + port + "/img/6.png");
    EXPECT_FALSE(contains(read_file(temp / "report.json"), "hunter2"));
}

TEST_F(ContentIdentity, TheSameBytesFromTwoUrlsNameTheFileCommittedFirst) {
    const std::string list =
        list_of({"/img/1.png", "/same/a.png", "/img/2.png", "/same/b.png", "/img/3.png"});

    const auto result = run_imgfetch(args(list, {"-j", "8", "--checksum", "sha256"}), temp.path());

    ASSERT_EQ(result.exit_code, 0) << result.err;
    const nlohmann::json a = entry_of_line(2);
    const nlohmann::json b = entry_of_line(4);
    ASSERT_EQ(a["status"], "ok") << a;
    ASSERT_EQ(b["status"], "ok") << b;
    // Exactly one came first; the other names its path. Both are whole copies.
    const bool a_first = a["duplicate_of"].is_null();
    const nlohmann::json& first = a_first ? a : b;
    const nlohmann::json& second = a_first ? b : a;
    EXPECT_TRUE(first["duplicate_of"].is_null()) << first;
    EXPECT_EQ(second["duplicate_of"], first["path"]) << second;
    EXPECT_NE(second["path"], first["path"]);
    EXPECT_EQ(read_file(dir / "a.png"), fake_png(7));
    EXPECT_EQ(read_file(dir / "b.png"), fake_png(7));
    struct stat info {};
    ASSERT_EQ(::stat((dir / "a.png").c_str(), &info), 0);
    EXPECT_EQ(info.st_nlink, 1U); // without --dedupe link, a copy
    for (const std::size_t line : {1U, 3U, 5U}) {
        EXPECT_TRUE(entry_of_line(line)["duplicate_of"].is_null()) << entry_of_line(line);
    }
}

TEST_F(ContentIdentity, DedupeLinkHardLinksTheLaterFileToTheEarlierOne) {
    const std::string list = list_of({"/same/a.png", "/img/1.png", "/same/b.png"});

    // --dedupe link alone: it turns --checksum sha256 on.
    const auto result = run_imgfetch(args(list, {"--sequential", "--dedupe", "link"}), temp.path());

    ASSERT_EQ(result.exit_code, 0) << result.err;
    struct stat a_info {};
    struct stat b_info {};
    ASSERT_EQ(::stat((dir / "a.png").c_str(), &a_info), 0);
    ASSERT_EQ(::stat((dir / "b.png").c_str(), &b_info), 0);
    EXPECT_EQ(a_info.st_ino, b_info.st_ino);
    EXPECT_EQ(a_info.st_nlink, 2U);
    EXPECT_EQ(read_file(dir / "b.png"), fake_png(7));
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"1.png", "a.png", "b.png"})); // no temporary
    const nlohmann::json b = entry_of_line(3);
    EXPECT_EQ(b["status"], "ok") << b;
    EXPECT_EQ(b["path"], (dir / "b.png").string()) << b;
    EXPECT_EQ(b["bytes"], fake_png(7).size()) << b;
    EXPECT_EQ(b["duplicate_of"], (dir / "a.png").string()) << b;
    EXPECT_EQ(b["sha256"], sha256_hex(fake_png(7))) << b;
    EXPECT_TRUE(entry_of_line(1)["duplicate_of"].is_null());
}

} // namespace
} // namespace imgfetch
