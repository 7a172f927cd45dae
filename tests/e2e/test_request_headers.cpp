// Real image hosts through the executable (issue 13 parts 1, 2, 4): a hotlink-protected route
// (403 without the right Referer), a User-Agent filter, Basic auth from a netrc file, a redirect
// to another host that must not carry the user's headers, Referer or credentials, and secrets
// that never appear in any output. Two loopback hosts: 127.0.0.1 (listed) and 127.0.0.2.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
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
using test::run_imgfetch;
using test::TempDir;
using test::TestServer;

using test::contains;

// What the other host was sent. Written by its server threads, read by the test thread after
// imgfetch exited: one mutex guards `headers`.
struct OtherHostLog {
    std::mutex mutex;
    std::vector<httplib::Headers> headers; // guarded by mutex
};

// The servers and what their routes use, declared before what the tests use them with.
struct Hosts {
    const std::string image = test::fake_png(11, 3000);
    OtherHostLog seen_by_other;
    TestServer listed{"127.0.0.1"};
    TestServer other{"127.0.0.2"};
};

class RealHosts : public ::testing::Test, protected Hosts {
protected:
    void SetUp() override {
        const std::string origin = listed.url("/");
        // Hotlink protection: the image only for a page of its own site.
        listed.server().Get("/hotlink.png", [this, origin](const httplib::Request& request,
                                                           httplib::Response& response) {
            if (request.get_header_value("Referer").rfind(origin, 0) != 0) {
                response.status = 403;
                return;
            }
            response.set_content(image, "image/png");
        });
        // A User-Agent filter: no bots (curl, wget, imgfetch).
        listed.server().Get("/browsers.png",
                            [this](const httplib::Request& request, httplib::Response& response) {
                                if (request.get_header_value("User-Agent").find("Mozilla/") != 0) {
                                    response.status = 403;
                                    return;
                                }
                                response.set_content(image, "image/png");
                            });
        // Basic auth: user "user", password "pass".
        listed.server().Get(
            "/private.png", [this](const httplib::Request& request, httplib::Response& response) {
                if (request.get_header_value("Authorization") != "Basic dXNlcjpwYXNz") {
                    response.status = 401;
                    response.set_header("WWW-Authenticate", "Basic realm=\"test\"");
                    return;
                }
                response.set_content(image, "image/png");
            });
        listed.server().Get("/broken.png", [](const httplib::Request&, httplib::Response& res) {
            res.status = 500;
        });
        other.server().Get("/img.png",
                           [this](const httplib::Request& request, httplib::Response& response) {
                               const std::lock_guard lock(seen_by_other.mutex); // guards headers
                               seen_by_other.headers.push_back(request.headers);
                               response.set_content(image, "image/png");
                           });
        const std::string away = other.url("/img.png");
        listed.server().Get("/away.png", [away](const httplib::Request&, httplib::Response& res) {
            res.set_redirect(away, 302);
        });
    }

    std::string list_of(const std::vector<std::string>& paths) {
        std::string text;
        for (const std::string& path : paths) {
            text += listed.url(path) + "\n";
        }
        test::write_file(temp / "urls.txt", text);
        return (temp / "urls.txt").string();
    }

    // imgfetch LIST -o out --retries 0 --no-progress ARGS, with `env` for it alone.
    test::ProcessResult imgfetch(const std::vector<std::string>& paths,
                                 std::vector<std::string> args,
                                 const test::ChildProcess::Setup& env = {}) {
        std::vector<std::string> all{list_of(paths), "-o", (temp / "out").string(),
                                     "--retries",    "0",  "--no-progress"};
        all.insert(all.end(), args.begin(), args.end());
        return run_imgfetch(all, temp.path(), "/dev/null", env);
    }

    std::string netrc(const std::string& text, mode_t mode) {
        const fs::path path = temp / "netrc";
        test::write_file(path, text);
        ::chmod(path.c_str(), mode);
        return path.string();
    }

    TempDir temp;
};

TEST_F(RealHosts, AHotlinkProtectedImageNeedsTheRefererOrigin) {
    const auto refused = imgfetch({"/hotlink.png"}, {});
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_TRUE(contains(refused.err, "HTTP 403")) << refused.err;

    const auto with_origin = imgfetch({"/hotlink.png"}, {"--referer", "origin"});
    EXPECT_EQ(with_origin.exit_code, 0) << with_origin.err;
    EXPECT_EQ(test::read_file(temp / "out" / "hotlink.png"), image);
}

TEST_F(RealHosts, ARefererUrlFromTheConfigFileIsSentToo) {
    test::write_file(temp / "imgfetch.toml", "referer = \"" + listed.url("/gallery") + "\"\n");
    const auto run = imgfetch({"/hotlink.png"}, {"--config", (temp / "imgfetch.toml").string()});
    EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(RealHosts, AUserAgentFilterLetsABrowserUserAgentThrough) {
    EXPECT_EQ(imgfetch({"/browsers.png"}, {}).exit_code, 1);

    const auto run = imgfetch({"/browsers.png"}, {"-A", "Mozilla/5.0 (X11; Linux x86_64)"});
    EXPECT_EQ(run.exit_code, 0) << run.err;

    test::ChildProcess::Setup env;
    env.environment["IMGFETCH_USER_AGENT"] = "Mozilla/5.0 (from the environment)";
    fs::remove_all(temp / "out");
    EXPECT_EQ(imgfetch({"/browsers.png"}, {}, env).exit_code, 0);
}

TEST_F(RealHosts, HeadersGivenWithHBeforeTheListKeepTheListAList) {
    const auto run = run_imgfetch({"-H", "User-Agent: Mozilla/5.0", "-H", "X-Extra: 1",
                                   list_of({"/browsers.png"}), "-o", (temp / "out").string(),
                                   "--retries", "0", "--no-progress"},
                                  temp.path());
    EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(RealHosts, BasicAuthFromAPrivateNetrcFile) {
    EXPECT_EQ(imgfetch({"/private.png"}, {}).exit_code, 1);

    const std::string file = netrc("machine 127.0.0.1 login user password pass\n", 0600);
    const auto run = imgfetch({"/private.png"}, {"--netrc-file", file});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_FALSE(contains(run.err, "netrc")) << run.err; // private: no warning
    EXPECT_EQ(test::read_file(temp / "out" / "private.png"), image);
}

TEST_F(RealHosts, ANetrcFileOthersCanReadDrawsOneWarning) {
    const std::string file = netrc("machine 127.0.0.1 login user password pass\n", 0644);
    const auto run = imgfetch({"/private.png", "/hotlink.png", "/browsers.png"},
                              {"--netrc-file", file, "-j", "3"});
    const std::string warning = "netrc file";
    const std::size_t first = run.err.find(warning);
    ASSERT_NE(first, std::string::npos) << run.err;
    EXPECT_EQ(run.err.find(warning, first + 1), std::string::npos) << run.err;
    EXPECT_FALSE(contains(run.err, "pass\n")) << run.err;
}

TEST_F(RealHosts, NetrcInHomeWithTheNetrcFlagAndUserOnTheCommandLine) {
    const fs::path home = temp / "home";
    fs::create_directories(home);
    test::write_file(home / ".netrc", "machine 127.0.0.1 login user password pass\n");
    ::chmod((home / ".netrc").c_str(), 0600);
    test::ChildProcess::Setup env;
    env.environment["HOME"] = home.string();
    EXPECT_EQ(imgfetch({"/private.png"}, {"--netrc"}, env).exit_code, 0);

    fs::remove_all(temp / "out");
    EXPECT_EQ(imgfetch({"/private.png"}, {"-u", "user:pass"}).exit_code, 0);
    fs::remove_all(temp / "out");
    EXPECT_EQ(imgfetch({"/private.png"}, {"-u", "user:wrong"}).exit_code, 1);
}

// libcurl 7.88 alone would forward the custom headers and the Referer to 127.0.0.2.
TEST_F(RealHosts, ARedirectToAnotherHostCarriesNoHeadersRefererOrCredentials) {
    const std::string file = netrc("machine 127.0.0.1 login user password pass\n"
                                   "machine 127.0.0.2 login user password pass\n",
                                   0600);
    const auto run = imgfetch({"/away.png"}, {"-H", "X-Token: t", "-H", "Cookie: c=1", "--referer",
                                              "origin", "--netrc-file", file});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    fs::remove_all(temp / "out");
    ASSERT_EQ(imgfetch({"/away.png"}, {"-u", "user:pass"}).exit_code, 0);

    const std::lock_guard lock(seen_by_other.mutex); // guards headers (imgfetch has exited)
    ASSERT_EQ(seen_by_other.headers.size(), 2U);
    for (const httplib::Headers& headers : seen_by_other.headers) {
        for (const char* name : {"X-Token", "Cookie", "Referer", "Authorization"}) {
            EXPECT_EQ(headers.count(name), 0U) << name;
        }
    }
}

// Every output of a failing, verbose run, and a usage error with a secret in the environment.
TEST_F(RealHosts, SecretsAppearInNoOutput) {
    const std::string file = netrc("machine 127.0.0.1 login user password NETRC-SECRET\n", 0644);
    const auto run =
        imgfetch({"/private.png", "/broken.png", "/away.png"},
                 {"-v", "-u", "user:USER-SECRET", "-H", "Authorization: Bearer BEARER-SECRET", "-H",
                  "Cookie: id=COOKIE-SECRET", "-H", "Proxy-Authorization: Basic PROXY-SECRET",
                  "--netrc-file", file, "--report", (temp / "report.json").string(), "--timeline",
                  (temp / "timeline.svg").string(), "--failed-list", (temp / "failed.txt").string(),
                  "--log-file", (temp / "log.txt").string()});
    ASSERT_EQ(run.exit_code, 1) << run.err;
    std::vector<std::string> outputs{run.out, run.err};
    for (const char* name : {"report.json", "timeline.svg", "failed.txt", "log.txt"}) {
        outputs.push_back(test::read_file(temp / name));
        EXPECT_FALSE(outputs.back().empty()) << name;
    }
    for (const std::string& output : outputs) {
        EXPECT_FALSE(contains(output, "SECRET")) << output;
    }

    test::ChildProcess::Setup env;
    env.environment["IMGFETCH_USER"] = "user:ENV-SECRET";
    env.environment["IMGFETCH_HEADER"] = "Authorization: Bearer ENV-SECRET";
    const auto usage = imgfetch({"/private.png"}, {"--jobs", "0"}, env);
    EXPECT_EQ(usage.exit_code, 2);
    EXPECT_TRUE(contains(usage.err, "IMGFETCH_USER")) << usage.err;
    EXPECT_FALSE(contains(usage.err, "SECRET")) << usage.err;
}

TEST_F(RealHosts, BadValuesAreUsageErrorsThatDoNotQuoteThem) {
    struct Case {
        std::string option;
        std::string value;
        std::string named; // how the error names the option
    };
    for (const Case& c : {Case{"-H", "no colon SECRET", "--header"},
                          Case{"-H", "X-Token: SECRET\r\nX-Evil: 1", "--header"},
                          Case{"-u", "user-without-SECRET-password", "--user"},
                          Case{"--referer", "ftp://SECRET/", "--referer"}}) {
        const auto run = imgfetch({"/img.png"}, {c.option, c.value});
        EXPECT_EQ(run.exit_code, 2) << c.option;
        EXPECT_TRUE(contains(run.err, c.named)) << run.err;
        EXPECT_FALSE(contains(run.err, "SECRET")) << run.err;
    }
}

} // namespace
} // namespace imgfetch
