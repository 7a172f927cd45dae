// --cookies and --save-cookies through the real executable: a cookie-gated route opened from a
// cookies.txt, the jar written at the end (mode 0600) with what the server set, also after an
// interrupted run, a missing file as a setup error, the warning for a file others can read, the
// option from IMGFETCH_COOKIES, and no cookie value in any output: stdout, stderr with -v, the
// log file, the report, the timeline, the failed list.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using namespace std::chrono_literals;
using test::read_file;
using test::write_file;

constexpr const char* k_secret = "s3cr3t-cookie-value";        // from the cookies.txt
constexpr const char* k_server_secret = "server-set-v4lue-42"; // set by the server

// A response that sends a first block, then nothing until release() or the client leaves:
// a download that is in flight when the test interrupts the run. Thread-safe.
class HeldImage {
public:
    void serve_on(httplib::Server& server, const std::string& head) {
        server.Get("/held.png", [this, head](const httplib::Request&, httplib::Response& res) {
            res.set_chunked_content_provider(
                "image/png", [this, head](std::size_t offset, httplib::DataSink& sink) {
                    if (offset == 0) {
                        const bool sent = sink.write(head.data(), head.size());
                        {
                            const std::lock_guard lock(m_mutex); // guards m_started
                            m_started = true;
                        }
                        m_changed.notify_all(); // outside the lock: waiters re-check under it
                        return sent;
                    }
                    std::unique_lock lock(m_mutex); // guards m_released
                    // Wakes at once on release(); the timeout only re-checks the client.
                    return !m_changed.wait_for(lock, 50ms, [this] { return m_released; }) &&
                           sink.is_writable();
                });
        });
    }
    bool wait_until_started() {
        std::unique_lock lock(m_mutex); // guards m_started
        return m_changed.wait_for(lock, 10s, [this] { return m_started; });
    }
    void release() {
        {
            const std::lock_guard lock(m_mutex); // guards m_released
            m_released = true;
        }
        m_changed.notify_all(); // outside the lock, as above
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_started = false;  // guarded by m_mutex
    bool m_released = false; // guarded by m_mutex
};

// 127.0.0.1: /gate.png only with the cookie session=k_secret (else 403), /set.png sets
// token=k_server_secret, /missing.png is a 404 (an entry for the failed list), /held.png never
// ends until released.
class CookieFiles : public ::testing::Test {
protected:
    void SetUp() override {
        server.server().Get(
            "/gate.png", [this](const httplib::Request& request, httplib::Response& response) {
                if (request.get_header_value("Cookie").find(std::string("session=") + k_secret) ==
                    std::string::npos) {
                    response.status = 403;
                    return;
                }
                response.set_content(image, "image/png");
            });
        server.server().Get("/set.png", [this](const httplib::Request&,
                                               httplib::Response& response) {
            response.set_header("Set-Cookie", std::string("token=") + k_server_secret + "; Path=/");
            response.set_content(image, "image/png");
        });
        held.serve_on(server.server(), test::fake_png(8, 2'000));
    }
    void TearDown() override { held.release(); } // before the server joins its threads

    std::string path(const std::string& name) const { return (temp / name).string(); }

    std::string list_of(const std::vector<std::string>& paths) {
        std::string text;
        for (const std::string& p : paths) {
            text += server.url(p) + "\n";
        }
        write_file(temp / "urls.txt", text);
        return path("urls.txt");
    }

    std::string cookies_txt(const std::string& value, unsigned mode = 0600) {
        write_file(temp / "cookies.txt",
                   "# Netscape HTTP Cookie File\n#HttpOnly_127.0.0.1\tFALSE\t/"
                   "\tFALSE\t0\tsession\t" +
                       value + "\n");
        ::chmod(path("cookies.txt").c_str(), mode);
        return path("cookies.txt");
    }

    const std::string image = test::fake_png(4, 5'000);
    HeldImage held;
    test::TempDir temp;
    test::TestServer server;
};

unsigned mode_of(const std::string& file) {
    struct stat info {};
    return ::stat(file.c_str(), &info) == 0 ? info.st_mode & 0777 : 0;
}

TEST_F(CookieFiles, ACookiesTxtOpensTheGatedRouteAndNoOutputShowsACookieValue) {
    const std::string list = list_of({"/gate.png", "/set.png", "/missing.png"});

    const test::ProcessResult run = test::run_imgfetch(
        {list, "-o", path("out"), "-v", "--retries", "0", "--cookies", cookies_txt(k_secret),
         "--save-cookies", path("saved.txt"), "--log-file", path("log.txt"), "--report",
         path("report.json"), "--timeline", path("timeline.svg"), "--failed-list",
         path("failed.txt")},
        temp.path());

    EXPECT_EQ(run.exit_code, 1) << run.err; // the 404
    EXPECT_EQ(read_file(temp / "out" / "gate.png"), image) << run.err;
    for (const std::string& output :
         {run.out, run.err, read_file(temp / "log.txt"), read_file(temp / "report.json"),
          read_file(temp / "timeline.svg"), read_file(temp / "failed.txt")}) {
        EXPECT_EQ(output.find(k_secret), std::string::npos) << output;
        EXPECT_EQ(output.find(k_server_secret), std::string::npos) << output;
    }
    EXPECT_NE(read_file(temp / "failed.txt").find("/missing.png"), std::string::npos);
}

TEST_F(CookieFiles, WithoutTheCookiesTheGatedRouteFails) {
    const test::ProcessResult run = test::run_imgfetch(
        {list_of({"/gate.png"}), "-o", path("out"), "--retries", "0"}, temp.path());

    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_FALSE(std::filesystem::exists(temp / "out" / "gate.png"));
}

TEST_F(CookieFiles, SaveCookiesWritesWhatTheServerSetAndWhatWasLoadedPrivately) {
    const test::ProcessResult run =
        test::run_imgfetch({list_of({"/set.png"}), "-o", path("out"), "--cookies",
                            cookies_txt(k_secret), "--save-cookies", path("saved.txt")},
                           temp.path());

    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(mode_of(path("saved.txt")), 0600U);
    const std::string saved = read_file(temp / "saved.txt");
    EXPECT_NE(
        saved.find(std::string("127.0.0.1\tFALSE\t/\tFALSE\t0\ttoken\t") + k_server_secret + "\n"),
        std::string::npos)
        << saved;
    EXPECT_NE(saved.find(std::string("#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\t") +
                         k_secret + "\n"),
              std::string::npos)
        << saved;
    for (const std::string& name : test::list_dir(temp.path())) {
        EXPECT_EQ(name.find(".part"), std::string::npos) << "a temporary left beside it: " << name;
    }
}

TEST_F(CookieFiles, AnInterruptedRunStillSavesTheJar) {
    test::ChildProcess run =
        test::start_imgfetch({list_of({"/set.png", "/held.png"}), "--sequential", "-o", path("out"),
                              "--save-cookies", path("saved.txt")},
                             {"/dev/null", temp / "stdout.txt", temp / "stderr.txt"});
    ASSERT_TRUE(held.wait_until_started()) << run.err();

    run.send(SIGINT);

    const auto status = run.wait_for_exit(10s);
    ASSERT_TRUE(status) << run.err();
    EXPECT_EQ(*status, test::exited_with(130)) << run.err();
    EXPECT_NE(read_file(temp / "saved.txt").find(k_server_secret), std::string::npos) << run.err();
    EXPECT_EQ(mode_of(path("saved.txt")), 0600U);
}

TEST_F(CookieFiles, AMissingCookiesFileIsASetupErrorNamingIt) {
    const test::ProcessResult run = test::run_imgfetch(
        {list_of({"/gate.png"}), "-o", path("out"), "--cookies", path("no-such.txt")}, temp.path());

    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("cannot read cookies file '" + path("no-such.txt") +
                           "': No such file or directory"),
              std::string::npos)
        << run.err;
    EXPECT_FALSE(std::filesystem::exists(temp / "out" / "gate.png"));
}

TEST_F(CookieFiles, ACookiesFileOthersCanReadDrawsOneWarningAndStillWorks) {
    test::ChildProcess::Setup setup;
    setup.environment["IMGFETCH_COOKIES"] = cookies_txt(k_secret, 0644);

    const test::ProcessResult run = test::run_imgfetch({list_of({"/gate.png"}), "-o", path("out")},
                                                       temp.path(), "/dev/null", setup);

    EXPECT_EQ(run.exit_code, 0) << run.err;
    const std::string warning = "can be read by other users";
    const auto first = run.err.find(warning);
    EXPECT_NE(first, std::string::npos) << run.err;
    EXPECT_EQ(run.err.find(warning, first + 1), std::string::npos) << run.err;
    EXPECT_EQ(run.err.find(k_secret), std::string::npos) << run.err;
}

TEST_F(CookieFiles, BothFilesComeFromTheConfigFileToo) {
    write_file(temp / "imgfetch.toml", "cookies = \"" + cookies_txt(k_secret) +
                                           "\"\nsave-cookies = \"" + path("saved.txt") + "\"\n");

    const test::ProcessResult run = test::run_imgfetch(
        {list_of({"/gate.png"}), "-o", path("out"), "--config", path("imgfetch.toml")},
        temp.path());

    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(read_file(temp / "saved.txt").find(k_secret), std::string::npos);
}

} // namespace
} // namespace imgfetch
