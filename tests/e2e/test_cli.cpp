// The command-line contract, exercised through the real executable.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/cli/options.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::fake_png;
using test::list_dir;
using test::read_file;
using test::run_imgfetch;
using test::TempDir;
using test::TestServer;

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        server.server().Get(R"(/img/(\d+)\.png)",
                            [](const httplib::Request& req, httplib::Response& res) {
                                res.set_content(fake_png(std::stoul(req.matches[1])), "image/png");
                            });
        server.server().Get(
            "/gone.png", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    }

    std::string list_of(const std::vector<std::string>& paths) {
        std::string text;
        for (const std::string& path : paths) {
            text += server.url(path) + "\n";
        }
        const auto file = temp / "urls.txt";
        test::write_file(file, text);
        return file.string();
    }

    std::string out() const { return (temp / "out").string(); }

    TestServer server;
    TempDir temp;
};

TEST_F(Cli, HelpDocumentsTheOptionsAndExitCodes) {
    const auto result = run_imgfetch({"--help"}, temp.path());

    EXPECT_EQ(result.exit_code, 0);
    for (const char* text : {"--jobs", "--sequential", "--output", "--report", "--quiet",
                             "--any-type", "Exit codes:", "usage error"}) {
        EXPECT_NE(result.out.find(text), std::string::npos) << text;
    }
}

// The options are registered group by group (cli/command_line.cpp); --help keeps one fixed
// order, the one users and the man page know.
TEST_F(Cli, HelpListsTheOptionsInTheirFixedOrder) {
    const auto result = run_imgfetch({"--help"}, temp.path());
    ASSERT_EQ(result.exit_code, 0);

    std::vector<std::string> listed;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("  -", 0) == 0 || line.rfind("  LIST", 0) == 0) {
            listed.push_back(line.substr(2, line.find(' ', 2) - 2));
        }
    }
    const std::vector<std::string> expected{"LIST",
                                            "-h,--help",
                                            "-V,--version",
                                            "--input-format",
                                            "--url-column",
                                            "--name-column",
                                            "--sha256-column",
                                            "--page",
                                            "--max-page-size",
                                            "--probe-links",
                                            "-o,--output,--output-dir",
                                            "-j,--jobs",
                                            "--sequential",
                                            "--any-type",
                                            "-q,--quiet",
                                            "-v,--verbose",
                                            "--log-file",
                                            "--report",
                                            "--connect-timeout",
                                            "--stall-timeout",
                                            "--timeout",
                                            "--retries",
                                            "--retry-delay",
                                            "--retry-max-wait",
                                            "--max-size",
                                            "--verify",
                                            "--min-width",
                                            "--min-height",
                                            "--min-pixels",
                                            "--max-pixels",
                                            "--min-size",
                                            "--types",
                                            "--reject-types",
                                            "--cacert",
                                            "-k,--insecure",
                                            "--content-disposition",
                                            "--layout",
                                            "--name-template",
                                            "--existing",
                                            "--archive",
                                            "--resume",
                                            "--failed-list",
                                            "--checksum",
                                            "--reject-hash",
                                            "--dedupe",
                                            "--no-progress",
                                            "--timeline",
                                            "--json-lines",
                                            "--manifest",
                                            "--per-host",
                                            "--limit-rate",
                                            "-H,--header",
                                            "-A,--user-agent",
                                            "--referer",
                                            "-u,--user",
                                            "--netrc",
                                            "--netrc-file",
                                            "--cookies",
                                            "--save-cookies",
                                            "--proxy",
                                            "--noproxy",
                                            "--shard",
                                            "--shards",
                                            "--config"};
    EXPECT_EQ(listed, expected) << result.out;
}

TEST_F(Cli, VersionPrintsTheVersion) {
    const auto result = run_imgfetch({"--version"}, temp.path());

    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find(IMGFETCH_VERSION), std::string::npos);
}

TEST_F(Cli, ExitsZeroAndPrintsASummaryWhenEveryUrlIsOk) {
    const auto result =
        run_imgfetch({list_of({"/img/1.png", "/img/2.png"}), "-j", "2", "-o", out()}, temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(list_dir(out()), (std::vector<std::string>{"1.png", "2.png"}));
    EXPECT_NE(result.err.find("2 ok, 0 failed"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("2 workers"), std::string::npos) << result.err;
}

TEST_F(Cli, ExitsOneAndSaysWhyWhenAUrlFails) {
    const auto result =
        run_imgfetch({list_of({"/img/1.png", "/gone.png"}), "-o", out()}, temp.path());

    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("HTTP 404"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("1 ok, 1 failed"), std::string::npos) << result.err;
}

TEST_F(Cli, ReadsTheListFromStandardInputWithDash) {
    const std::string list = list_of({"/img/4.png"});
    const auto report = (temp / "run.json").string();

    const auto result =
        run_imgfetch({"-", "-o", out(), "-q", "--report", report}, temp.path(), list);

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "") << "-q prints errors only";
    EXPECT_EQ(read_file(temp / "out" / "4.png"), fake_png(4));
    EXPECT_EQ(nlohmann::json::parse(read_file(report))["summary"]["ok"], 1);
}

TEST_F(Cli, ReadsStandardInputWhenNoListIsGivenAndStdinIsNotATerminal) {
    const std::string list = list_of({"/img/5.png"});

    const auto result = run_imgfetch({"-o", out()}, temp.path(), list);

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(temp / "out" / "5.png"), fake_png(5));
}

TEST_F(Cli, SequentialModeSaysSoInTheSummary) {
    const auto result =
        run_imgfetch({list_of({"/img/1.png"}), "--sequential", "-o", out()}, temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("sequential"), std::string::npos) << result.err;
}

TEST_F(Cli, AnUnreadableListIsAUsageErrorAndNothingIsDownloaded) {
    const auto result = run_imgfetch(
        {list_of({"/img/1.png"}), (temp / "missing.txt").string(), "-o", out()}, temp.path());

    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("missing.txt"), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(temp / "out" / "1.png"));
}

TEST_F(Cli, AListThatIsADirectoryIsAUsageErrorAndNothingIsDownloaded) {
    const auto result =
        run_imgfetch({list_of({"/img/1.png"}), temp.path().string(), "-o", out()}, temp.path());

    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("cannot read list '" + temp.path().string() + "': Is a directory"),
              std::string::npos)
        << result.err;
    EXPECT_FALSE(std::filesystem::exists(temp / "out")) << "refused before any setup";
}

TEST_F(Cli, StandardInputThatIsADirectoryIsAUsageError) {
    const auto result = run_imgfetch({"-", "-o", out()}, temp.path(), temp.path().string());

    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("cannot read list '<stdin>': Is a directory"), std::string::npos)
        << result.err;
}

TEST_F(Cli, AListThatIsAFifoIsReadAsItIsWritten) {
    const auto fifo = temp / "urls.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const std::string text = server.url("/img/1.png") + "\n" + server.url("/img/2.png") + "\n";
    // The writer's open() waits for imgfetch to open the FIFO (which itself does not wait).
    std::jthread writer([&fifo, &text] {
        const int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            [[maybe_unused]] const auto written = ::write(fd, text.data(), text.size());
            ::close(fd);
        }
    });

    const auto result = run_imgfetch({fifo.string(), "-o", out()}, temp.path());
    // Whatever happened, let a writer still waiting for a reader go.
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    writer.join();
    ::close(reader);

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(list_dir(out()), (std::vector<std::string>{"1.png", "2.png"}));
}

TEST_F(Cli, JobsOutsideOneTo512IsAUsageError) {
    for (const char* jobs : {"0", "513", "many"}) {
        const auto result = run_imgfetch({"-j", jobs, "-o", out()}, temp.path());
        EXPECT_EQ(result.exit_code, 2) << jobs;
    }
}

TEST_F(Cli, AnUnknownOptionIsAUsageError) {
    const auto result = run_imgfetch({"--frobnicate"}, temp.path());

    EXPECT_EQ(result.exit_code, 2);
}

TEST_F(Cli, AnOutputDirThatIsAFileIsAUsageError) {
    test::write_file(temp / "afile", "x");

    const auto result =
        run_imgfetch({list_of({"/img/1.png"}), "-o", (temp / "afile").string()}, temp.path());

    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("output directory"), std::string::npos) << result.err;
}

TEST_F(Cli, OutputDirIsALongNameOfDashO) {
    const auto result = run_imgfetch(
        {list_of({"/img/1.png"}), "--output-dir", (temp / "curl-style").string()}, temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(temp / "curl-style" / "1.png"), fake_png(1));
}

TEST_F(Cli, HelpShowsOutputDirBesideOutput) {
    const auto result = run_imgfetch({"--help"}, temp.path());

    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("-o,--output,--output-dir DIR"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("IMGFETCH_OUTPUT_DIR"), std::string::npos) << result.out;
}

TEST_F(Cli, LogFileGetsTimestampedLines) {
    const auto log = temp / "run.log";
    const auto result = run_imgfetch(
        {list_of({"/gone.png"}), "-o", out(), "-q", "--log-file", log.string()}, temp.path());

    EXPECT_EQ(result.exit_code, 1);
    const std::string text = read_file(log);
    EXPECT_NE(text.find("HTTP 404"), std::string::npos) << text;
    EXPECT_NE(text.find("ok, 1 failed"), std::string::npos) << "summary goes to the log too";
}

TEST(ParseCommandLine, DefaultsMatchTheDocumentation) {
    const char* argv[] = {"imgfetch", "urls.txt"};
    const auto parsed = parse_command_line(2, argv, true);

    ASSERT_TRUE(parsed.options);
    EXPECT_EQ(parsed.options->politeness.jobs, 8U);
    EXPECT_EQ(parsed.options->outputs.output_dir, "images");
    EXPECT_FALSE(parsed.options->politeness.sequential);
    EXPECT_EQ(parsed.options->input.lists, std::vector<std::string>{"urls.txt"});
}

TEST(ParseCommandLine, NoListOnATerminalIsAUsageError) {
    const char* argv[] = {"imgfetch"};
    const auto parsed = parse_command_line(1, argv, true);

    EXPECT_FALSE(parsed.options);
    EXPECT_EQ(parsed.exit_code, 2);
}

TEST(ParseCommandLine, QuietAndVerboseExcludeEachOther) {
    const char* argv[] = {"imgfetch", "-q", "-v", "x"};
    EXPECT_EQ(parse_command_line(4, argv, true).exit_code, 2);
}

} // namespace
} // namespace imgfetch
