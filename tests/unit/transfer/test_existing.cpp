// --existing skip|overwrite|update and --checksum sha256: download_link against a real loopback
// server that counts requests and answers conditional requests, on real files; then the
// command line through the real executable.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/transfer/content_check.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/existing_file.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::fake_jpeg;
using test::fake_png;
using test::list_dir;
using test::read_file;
using test::run_imgfetch;
using test::TempDir;
using test::TestServer;
using test::write_file;

// Each version of the served resources: its ETag and Last-Modified.
struct Version {
    const char* etag;
    std::int64_t last_modified_s;
    const char* last_modified;
};
constexpr std::array<Version, 2> k_versions = {
    Version{"\"v1\"", 784903526, "Tue, 15 Nov 1994 12:45:26 GMT"},
    Version{"W/\"v2\"", 1700000000, "Tue, 14 Nov 2023 22:13:20 GMT"}};

// The conditions of one request, as received.
struct Conditions {
    std::string if_none_match;
    std::string if_modified_since;
};

// What the server serves and what it saw. Declared before the server in every fixture, so it
// outlives the server's threads. Thread-safe: atomics, and one mutex for `conditions`.
struct Origin {
    std::atomic<std::size_t> version{0}; // index into k_versions
    std::atomic<int> requests{0};        // requests to the image routes
    std::mutex mutex;
    std::vector<Conditions> conditions; // guarded by mutex; one per request, in arrival order

    std::vector<Conditions> seen() {
        const std::lock_guard lock(mutex); // guards conditions
        return conditions;
    }
};

std::string body_of(const std::string& path, std::size_t version) {
    // 100 kB: many write callbacks, so the digest is fed in pieces.
    return fake_png(std::hash<std::string>{}(path) + version, 100'000);
}

// Serves /img/<name>.png (and /plain/<name> with no validators) like a static file server: an
// If-None-Match that matches the ETag, or else an If-Modified-Since equal to the Last-Modified,
// gets 304 Not Modified.
void serve(TestServer& server, Origin& origin) {
    server.server().Get(
        R"(/img/[^/]+)", [&origin](const httplib::Request& req, httplib::Response& res) {
            ++origin.requests;
            const Conditions seen{req.get_header_value("If-None-Match"),
                                  req.get_header_value("If-Modified-Since")};
            {
                const std::lock_guard lock(origin.mutex); // guards conditions
                origin.conditions.push_back(seen);
            }
            const std::size_t index = origin.version.load();
            const Version& version = k_versions.at(index);
            res.set_header("ETag", version.etag);
            res.set_header("Last-Modified", version.last_modified);
            const bool unchanged = seen.if_none_match.empty()
                                       ? seen.if_modified_since == version.last_modified
                                       : seen.if_none_match == version.etag;
            if (unchanged) {
                res.status = 304;
                return;
            }
            res.set_content(body_of(req.path, index), "image/png");
        });
    server.server().Get(R"(/plain/[^/]+)",
                        [&origin](const httplib::Request& req, httplib::Response& res) {
                            ++origin.requests;
                            res.set_content(body_of(req.path, 0), "image/png");
                        });
    server.server().Get(R"(/jpeg/[^/]+)",
                        [&origin](const httplib::Request&, httplib::Response& res) {
                            ++origin.requests;
                            res.set_content(fake_jpeg(7), "image/jpeg");
                        });
}

std::optional<std::string> stored_etag(const std::filesystem::path& path) {
    std::array<char, 2048> buffer{};
    const ssize_t size = ::getxattr(path.c_str(), k_etag_attribute, buffer.data(), buffer.size());
    if (size < 0) {
        return std::nullopt;
    }
    return std::string(buffer.data(), static_cast<std::size_t>(size));
}

bool supports_user_xattrs(const std::filesystem::path& dir) {
    const auto probe = dir / "xattr-probe";
    write_file(probe, "x");
    const bool supported = ::setxattr(probe.c_str(), "user.imgfetch.probe", "1", 1, 0) == 0;
    std::filesystem::remove(probe);
    return supported;
}

struct stat stat_of(const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
    return info;
}

void set_mtime(const std::filesystem::path& path, std::int64_t seconds) {
    const std::array<timespec, 2> times{timespec{0, UTIME_OMIT},
                                        timespec{static_cast<time_t>(seconds), 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times.data(), 0), 0);
}

std::string reference_sha256(const std::string& bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr),
              1);
    std::string hex;
    for (unsigned i = 0; i < size; ++i) {
        static constexpr char k_hex[] = "0123456789abcdef";
        hex += k_hex[digest[i] >> 4];
        hex += k_hex[digest[i] & 0xF];
    }
    return hex;
}

class ExistingFiles : public ::testing::Test {
protected:
    void SetUp() override { serve(server, origin); }

    TransferResult fetch(const std::string& path, const std::string& name,
                         bool needs_extension = false) {
        Task task{0, 1, server.url(path), name, needs_extension};
        const DownloadContext ctx{settings, dir, clock, {}, nullptr};
        return download_link(session, task, ctx, 0).result;
    }

    std::filesystem::path out(const std::string& name) const { return temp / "out" / name; }

    Origin origin; // outlives the server
    TestServer server;
    TempDir temp;
    OutputDir dir{(temp / "out").string()};
    DownloadSettings settings;
    RunClock clock;
    CurlSession session;
};

TEST_F(ExistingFiles, SkipLeavesAnExistingFileAloneWithoutAnyRequest) {
    write_file(out("a.png"), "mine");
    settings.existing = ExistingPolicy::skip;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::skipped) << result.error;
    EXPECT_EQ(result.path, out("a.png").string());
    EXPECT_EQ(result.attempts, 0U);
    EXPECT_FALSE(result.http_status);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(origin.requests.load(), 0);
    EXPECT_EQ(read_file(out("a.png")), "mine");
}

TEST_F(ExistingFiles, SkipDownloadsAFileThatIsNotThereYet) {
    settings.existing = ExistingPolicy::skip;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(origin.requests.load(), 1);
    EXPECT_EQ(read_file(out("a.png")), body_of("/img/a.png", 0));
}

TEST_F(ExistingFiles, SkipFindsTheExtensionAnEarlierRunAddedToAnExtensionlessName) {
    write_file(out("photo.jpg"), "earlier");
    settings.existing = ExistingPolicy::skip;

    const TransferResult result = fetch("/jpeg/photo", "photo", true);

    EXPECT_EQ(result.status, Status::skipped) << result.error;
    EXPECT_EQ(result.path, out("photo.jpg").string());
    EXPECT_EQ(origin.requests.load(), 0);
}

TEST_F(ExistingFiles, SkipDoesNotTakeAFileOfAnotherStemForAnExtensionlessName) {
    write_file(out("photo-2.jpg"), "another");
    write_file(out("photo.jpg.part"), "not an image extension");
    settings.existing = ExistingPolicy::skip;

    const TransferResult result = fetch("/jpeg/photo", "photo", true);

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.path, out("photo.jpg").string());
}

TEST_F(ExistingFiles, ASymlinkAtTheTargetIsNotAnExistingFile) {
    write_file(temp / "elsewhere.png", "outside");
    std::filesystem::create_symlink(temp / "elsewhere.png", out("a.png"));
    settings.existing = ExistingPolicy::skip;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(origin.requests.load(), 1);
    EXPECT_TRUE(S_ISREG(stat_of(out("a.png")).st_mode)) << "the link is replaced, not followed";
    EXPECT_EQ(read_file(out("a.png")), body_of("/img/a.png", 0));
    EXPECT_EQ(read_file(temp / "elsewhere.png"), "outside");
}

TEST_F(ExistingFiles, ADirectoryAtTheTargetIsNotSkipped) {
    std::filesystem::create_directory(out("a.png"));
    settings.existing = ExistingPolicy::skip;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(origin.requests.load(), 1);
    EXPECT_EQ(result.status, Status::failed) << "a directory cannot be replaced by a file";
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"a.png"}) << "no temporary left";
}

TEST_F(ExistingFiles, OverwriteReplacesAnExistingFile) {
    write_file(out("a.png"), "old");
    settings.existing = ExistingPolicy::overwrite;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(origin.requests.load(), 1);
    EXPECT_EQ(origin.seen().at(0).if_none_match, "") << "overwrite asks unconditionally";
    EXPECT_EQ(origin.seen().at(0).if_modified_since, "");
    EXPECT_EQ(read_file(out("a.png")), body_of("/img/a.png", 0));
}

TEST_F(ExistingFiles, ASavedFileGetsTheServersLastModifiedAsItsMtimeAndItsETag) {
    const TransferResult result = fetch("/img/a.png", "a.png");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(stat_of(out("a.png")).st_mtim.tv_sec, k_versions[0].last_modified_s);
    if (supports_user_xattrs(temp.path())) {
        EXPECT_EQ(stored_etag(out("a.png")), k_versions[0].etag);
    }
}

TEST_F(ExistingFiles, AFileServedWithoutLastModifiedKeepsTheTimeItWasWritten) {
    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(2);

    const TransferResult result = fetch("/plain/a.png", "a.png");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    const auto mtime = std::chrono::system_clock::from_time_t(stat_of(out("a.png")).st_mtim.tv_sec);
    EXPECT_GE(mtime, std::chrono::time_point_cast<std::chrono::seconds>(before));
    EXPECT_FALSE(stored_etag(out("a.png")));
}

TEST_F(ExistingFiles, UpdateSendsTheStoredETagAndMtimeAndKeepsTheFileOn304) {
    if (!supports_user_xattrs(temp.path())) {
        GTEST_SKIP() << "no user extended attributes on " << temp.path();
    }
    ASSERT_EQ(fetch("/img/a.png", "a.png").status, Status::ok);
    const struct stat before = stat_of(out("a.png"));
    settings.existing = ExistingPolicy::update;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::not_modified) << result.error;
    EXPECT_EQ(result.http_status, 304);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(result.bytes, 0U);
    EXPECT_EQ(result.path, out("a.png").string());
    const std::vector<Conditions> seen = origin.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[1].if_none_match, k_versions[0].etag);
    EXPECT_EQ(seen[1].if_modified_since, k_versions[0].last_modified);
    const struct stat after = stat_of(out("a.png"));
    EXPECT_EQ(after.st_ino, before.st_ino) << "not replaced";
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    EXPECT_EQ(read_file(out("a.png")), body_of("/img/a.png", 0));
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"a.png"});
}

TEST_F(ExistingFiles, UpdateReplacesAChangedResourceWithItsNewETagAndMtime) {
    const bool xattrs = supports_user_xattrs(temp.path());
    ASSERT_EQ(fetch("/img/a.png", "a.png").status, Status::ok);
    origin.version = 1;
    settings.existing = ExistingPolicy::update;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(read_file(out("a.png")), body_of("/img/a.png", 1));
    EXPECT_EQ(stat_of(out("a.png")).st_mtim.tv_sec, k_versions[1].last_modified_s);
    if (xattrs) {
        EXPECT_EQ(origin.seen().at(1).if_none_match, k_versions[0].etag);
        EXPECT_EQ(stored_etag(out("a.png")), k_versions[1].etag);
    }
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"a.png"});
}

TEST_F(ExistingFiles, UpdateWithoutAStoredETagReliesOnTheMtime) {
    write_file(out("a.png"), "copied by hand");
    set_mtime(out("a.png"), k_versions[0].last_modified_s);
    settings.existing = ExistingPolicy::update;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::not_modified) << result.error;
    ASSERT_EQ(origin.seen().size(), 1U);
    EXPECT_EQ(origin.seen()[0].if_none_match, "");
    EXPECT_EQ(origin.seen()[0].if_modified_since, k_versions[0].last_modified);
    EXPECT_EQ(read_file(out("a.png")), "copied by hand");
}

TEST_F(ExistingFiles, UpdateDownloadsAFileThatIsNotThereYetWithoutConditions) {
    settings.existing = ExistingPolicy::update;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    ASSERT_EQ(origin.seen().size(), 1U);
    EXPECT_EQ(origin.seen()[0].if_none_match, "");
    EXPECT_EQ(origin.seen()[0].if_modified_since, "");
}

TEST_F(ExistingFiles, UpdateNeverSendsAStoredValueThatIsNotAValidETag) {
    if (!supports_user_xattrs(temp.path())) {
        GTEST_SKIP() << "no user extended attributes on " << temp.path();
    }
    write_file(out("a.png"), "old");
    const std::string planted = "\"x\"\r\nX-Injected: 1";
    ASSERT_EQ(::setxattr(out("a.png").c_str(), k_etag_attribute, planted.data(), planted.size(), 0),
              0);
    settings.existing = ExistingPolicy::update;

    const TransferResult result = fetch("/img/a.png", "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    ASSERT_EQ(origin.seen().size(), 1U);
    EXPECT_EQ(origin.seen()[0].if_none_match, "");
}

TEST_F(ExistingFiles, UpdateThatGetsAnotherImageTypeRemovesTheOldFileOfTheSameStem) {
    write_file(out("photo.png"), "an older png");
    settings.existing = ExistingPolicy::update;

    const TransferResult result = fetch("/jpeg/photo", "photo", true);

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.path, out("photo.jpg").string());
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"photo.jpg"});
}

TEST_F(ExistingFiles, ChecksumIsTheSha256OfTheSavedBytes) {
    settings.checksum_sha256 = true;

    const TransferResult result = fetch("/img/a.png", "a.png");

    ASSERT_EQ(result.status, Status::ok) << result.error;
    ASSERT_TRUE(result.sha256);
    EXPECT_EQ(*result.sha256, reference_sha256(read_file(out("a.png"))));
    EXPECT_EQ(*result.sha256, reference_sha256(body_of("/img/a.png", 0)));
}

TEST_F(ExistingFiles, ChecksumIsOffByDefaultAndNotComputedWithoutASavedFile) {
    EXPECT_FALSE(fetch("/img/a.png", "a.png").sha256);

    settings.checksum_sha256 = true;
    settings.existing = ExistingPolicy::skip;
    const TransferResult skipped = fetch("/img/a.png", "a.png");
    EXPECT_EQ(skipped.status, Status::skipped);
    EXPECT_FALSE(skipped.sha256);
}

TEST(ExistingFileLookup, KnowsEveryExtensionTheContentCheckCanChoose) {
    const auto known = appended_image_extensions();
    const auto listed = [&known](std::string_view extension) {
        return std::find(known.begin(), known.end(), extension) != known.end();
    };
    for (const char* media : {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
                              "image/tiff", "image/svg+xml", "image/x-icon", "image/avif",
                              "image/heic", "image/heif", "image/jxl", "image/apng"}) {
        const auto extension = extension_for_media_type(media);
        ASSERT_TRUE(extension) << media;
        EXPECT_TRUE(listed(*extension)) << media;
    }
    EXPECT_TRUE(listed(*sniff_image_extension(fake_png(1))));
    EXPECT_TRUE(listed(*sniff_image_extension(fake_jpeg(1))));
}

TEST(HttpDate, IsTheImfFixdateInEnglishWhateverTheLocale) {
    EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(http_date(1700000000), "Tue, 14 Nov 2023 22:13:20 GMT");
}

TEST(StorableETag, IsPrintableAsciiOfBoundedLength) {
    EXPECT_TRUE(is_storable_etag("\"abc\""));
    EXPECT_TRUE(is_storable_etag("W/\"a b\""));
    EXPECT_FALSE(is_storable_etag(""));
    EXPECT_FALSE(is_storable_etag("\"a\"\r\nX: 1"));
    EXPECT_FALSE(is_storable_etag("\"\xc3\xa9\""));
    EXPECT_FALSE(is_storable_etag(std::string(k_max_etag_bytes + 1, 'a')));
    EXPECT_TRUE(is_storable_etag(std::string(k_max_etag_bytes, 'a')));
}

// The command line: the real executable against the same server.
class ExistingCli : public ::testing::Test {
protected:
    void SetUp() override { serve(server, origin); }

    std::string list_of(const std::vector<std::string>& paths) {
        std::string text;
        for (const std::string& path : paths) {
            text += server.url(path) + "\n";
        }
        const auto file = temp / "urls.txt";
        write_file(file, text);
        return file.string();
    }

    std::string out() const { return (temp / "out").string(); }

    // Runs imgfetch on `list` with `extra` options; returns its exit code and parsed report.
    std::pair<int, nlohmann::json> run(const std::string& list,
                                       const std::vector<std::string>& extra = {}) {
        const std::string report = (temp / "run.json").string();
        std::vector<std::string> args{list, "-o", out(), "-j", "2", "--report", report};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto result = run_imgfetch(args, temp.path());
        EXPECT_EQ(result.err.find("error"), std::string::npos) << result.err;
        return {result.exit_code, nlohmann::json::parse(read_file(report))};
    }

    static std::vector<std::string> statuses(const nlohmann::json& report) {
        std::vector<std::string> all;
        for (const auto& file : report["files"]) {
            all.push_back(file["status"].get<std::string>());
        }
        return all;
    }

    Origin origin; // outlives the server
    TestServer server;
    TempDir temp;
};

TEST_F(ExistingCli, ASecondRunSkipsWhatTheFirstSavedByDefault) {
    const std::string list = list_of({"/img/1.png", "/img/2.png", "/jpeg/3"});
    const auto [first_exit, first] = run(list);
    ASSERT_EQ(first_exit, 0);
    ASSERT_EQ(statuses(first), (std::vector<std::string>{"ok", "ok", "ok"}));
    const int requests = origin.requests.load();

    const auto [second_exit, second] = run(list);

    EXPECT_EQ(second_exit, 0);
    EXPECT_EQ(statuses(second), (std::vector<std::string>{"skipped", "skipped", "skipped"}));
    EXPECT_EQ(second["summary"]["skipped"], 3);
    EXPECT_EQ(second["files"][2]["path"], (temp / "out" / "3.jpg").string());
    EXPECT_EQ(second["files"][0]["attempts"], 0);
    EXPECT_EQ(origin.requests.load(), requests) << "no request at all";
}

TEST_F(ExistingCli, UpdateAgainstAServerAnswering304ExitsZero) {
    const std::string list = list_of({"/img/1.png", "/img/2.png"});
    ASSERT_EQ(run(list).first, 0);

    const auto [exit_code, report] = run(list, {"--existing", "update"});

    EXPECT_EQ(exit_code, 0);
    EXPECT_EQ(statuses(report), (std::vector<std::string>{"not_modified", "not_modified"}));
    EXPECT_EQ(report["summary"]["not_modified"], 2);
    EXPECT_EQ(report["files"][0]["http_status"], 304);
    EXPECT_EQ(read_file(temp / "out" / "1.png"), body_of("/img/1.png", 0));
}

TEST_F(ExistingCli, OverwriteFetchesEverythingAgain) {
    const std::string list = list_of({"/img/1.png"});
    ASSERT_EQ(run(list).first, 0);

    const auto [exit_code, report] = run(list, {"--existing", "overwrite"});

    EXPECT_EQ(exit_code, 0);
    EXPECT_EQ(statuses(report), std::vector<std::string>{"ok"});
    EXPECT_EQ(origin.requests.load(), 2);
}

TEST_F(ExistingCli, ChecksumPutsTheSha256InTheReport) {
    const auto [exit_code, report] = run(list_of({"/img/1.png"}), {"--checksum", "sha256"});

    ASSERT_EQ(exit_code, 0);
    EXPECT_EQ(report["files"][0]["sha256"], reference_sha256(body_of("/img/1.png", 0)));
}

TEST_F(ExistingCli, WithoutChecksumTheReportHasANullSha256) {
    const auto [exit_code, report] = run(list_of({"/img/1.png"}));

    ASSERT_EQ(exit_code, 0);
    ASSERT_TRUE(report["files"][0].contains("sha256"));
    EXPECT_TRUE(report["files"][0]["sha256"].is_null());
}

TEST_F(ExistingCli, AnUnknownPolicyIsAUsageError) {
    const auto result =
        run_imgfetch({list_of({"/img/1.png"}), "-o", out(), "--existing", "bogus"}, temp.path());

    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("--existing"), std::string::npos) << result.err;
    EXPECT_EQ(origin.requests.load(), 0);
}

} // namespace
} // namespace imgfetch
