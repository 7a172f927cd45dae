// --resume across a killed run, against Debian's nginx (its Range and If-Range are nginx's own,
// not ours): a run SIGKILLed mid-transfer leaves its partial under the stable name, and the next
// run asks for the rest only (a 206 in nginx's log, with only the missing bytes sent), or, when
// the file changed meanwhile, gets the new file whole (If-Range fails: a 200).
#include <sys/xattr.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/nginx_server.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_fixture.hpp"
#include "support/web_server.hpp"

namespace imgfetch {
namespace resume_nginx_e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

// Big enough that nginx's 256 KiB/s pace for whole files (/slow/) keeps the first run busy for
// seconds: it is killed long before the end.
constexpr std::size_t k_image_size = 3 * 1024 * 1024;
// The partial the first run must have written before it is killed.
constexpr std::uintmax_t k_kill_after_bytes = 64 * 1024;

const test::DaemonUnderTest<test::WebServer, test::SelfSignedCertificate> k_nginx{
    "nginx", "IMGFETCH_NGINX", "IMGFETCH_SKIP_NGINX_TESTS",
    test::start_web_server<test::NginxServer>};

class ResumeNginx : public ::testing::Test {
protected:
    void SetUp() override {
        if (k_nginx.skipped()) {
            GTEST_SKIP() << k_nginx.skip_var << "=1";
        }
        const std::optional<std::string> executable = k_nginx.executable();
        ASSERT_TRUE(executable) << k_nginx.missing("its resume tests");
        server = k_nginx.start(*executable, certificate);
        fs::create_directories(server->docroot() / "slow");
        test::write_file(image_path(), original);
        test::write_file(list, "http://127.0.0.1:" + std::to_string(server->http_port()) +
                                   "/slow/scan.png\n");
    }

    fs::path image_path() const { return server->docroot() / "slow" / "scan.png"; }
    std::vector<std::string> args(std::vector<std::string> extra) const {
        std::vector<std::string> all{list.string(),   "-o",      out.string(), "--report",
                                     report.string(), "--resume"};
        all.insert(all.end(), extra.begin(), extra.end());
        return all;
    }
    // The download temporaries in DIR.
    std::vector<std::string> partials() const {
        std::vector<std::string> names;
        for (const std::string& name : test::list_dir(out)) {
            if (name.rfind(".imgfetch-", 0) == 0) {
                names.push_back(name);
            }
        }
        return names;
    }
    // Starts a run and SIGKILLs it once its partial holds k_kill_after_bytes; returns the
    // partial's size.
    std::uintmax_t killed_run() {
        fs::create_directories(out);
        test::ChildProcess run = test::start_imgfetch(
            args({}), {"/dev/null", temp.path() / "killed.out", temp.path() / "killed.err"});
        std::uintmax_t size = 0;
        const bool written = test::eventually(
            [&] {
                const std::vector<std::string> names = partials();
                std::error_code ec;
                size = names.size() == 1 ? fs::file_size(out / names[0], ec) : 0;
                return size >= k_kill_after_bytes;
            },
            60s);
        EXPECT_TRUE(written) << run.err();
        EXPECT_EQ(run.kill_and_wait(), (test::ExitStatus{-1, SIGKILL}));
        const std::vector<std::string> names = partials();
        EXPECT_EQ(names.size(), 1U);
        return names.size() == 1 ? fs::file_size(out / names[0]) : 0;
    }
    // nginx's log lines for the image.
    std::vector<test::AccessLogEntry> image_requests() const {
        std::vector<test::AccessLogEntry> found;
        for (const test::AccessLogEntry& entry : server->access_log()) {
            if (entry.uri == "/slow/scan.png") {
                found.push_back(entry);
            }
        }
        return found;
    }

    test::TempDir temp;
    test::SelfSignedCertificate certificate =
        test::SelfSignedCertificate::for_loopback(temp.path());
    std::unique_ptr<test::WebServer> server;
    fs::path list = temp.path() / "list.txt";
    fs::path out = temp.path() / "out";
    fs::path report = temp.path() / "report.json";
    const std::string original = test::fake_png(11, k_image_size);
};

TEST_F(ResumeNginx, ARunKilledMidTransferIsContinuedByTheNextWithA206ForTheRestOnly) {
    const std::uintmax_t kept = killed_run();
    ASSERT_GT(kept, 0U);
    ASSERT_LT(kept, original.size()) << "killed before the end";

    const test::ProcessResult next = test::run_imgfetch(args({}), temp.path());

    ASSERT_EQ(next.exit_code, 0) << next.err;
    EXPECT_EQ(test::read_file(out / "scan.png"), original);
    EXPECT_TRUE(partials().empty());
    EXPECT_EQ(json::parse(test::read_file(report))["files"][0]["resumed_from"], kept);
    ASSERT_TRUE(test::eventually([&] { return image_requests().size() >= 1; }));
    const test::AccessLogEntry resumed = image_requests().back();
    EXPECT_EQ(resumed.status, 206);
    EXPECT_EQ(resumed.body_bytes, original.size() - kept) << "nginx sent only the missing bytes";
}

TEST_F(ResumeNginx, AFileChangedSinceTheKilledRunIsFetchedWholeWithA200) {
    ASSERT_GT(killed_run(), 0U);
    const std::string changed = test::fake_png(12, k_image_size / 2); // another size: another ETag
    test::write_file(image_path(), changed);

    const test::ProcessResult next = test::run_imgfetch(args({}), temp.path());

    ASSERT_EQ(next.exit_code, 0) << next.err;
    EXPECT_EQ(test::read_file(out / "scan.png"), changed);
    EXPECT_TRUE(partials().empty());
    EXPECT_EQ(json::parse(test::read_file(report))["files"][0]["resumed_from"], 0);
    ASSERT_TRUE(test::eventually([&] { return !image_requests().empty(); }));
    EXPECT_EQ(image_requests().back().status, 200);
}

} // namespace resume_nginx_e2e
} // namespace imgfetch
