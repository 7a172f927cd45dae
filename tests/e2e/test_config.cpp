// Where options come from: the command line, IMGFETCH_* environment variables and a TOML
// --config file (or IMGFETCH_CONFIG), with the precedence command line > environment >
// config file > defaults. Through parse_command_line() and through the real executable.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "imgfetch/cli/options.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

// Sets environment variables for one test and restores them after. Tests that use it start
// no threads before parsing (setenv is not thread-safe).
class ScopedEnv {
public:
    ScopedEnv() = default;
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() {
        for (auto it = m_saved.rbegin(); it != m_saved.rend(); ++it) {
            if (it->second) {
                ::setenv(it->first.c_str(), it->second->c_str(), 1);
            } else {
                ::unsetenv(it->first.c_str());
            }
        }
    }

    void set(const std::string& name, const std::string& value) {
        const char* old = std::getenv(name.c_str());
        m_saved.emplace_back(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
        ::setenv(name.c_str(), value.c_str(), 1);
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

struct Parsed {
    ParsedCommandLine result;
    std::string err;
};

Parsed parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"imgfetch", "urls.txt"});
    std::vector<const char*> argv;
    for (const std::string& arg : args) {
        argv.push_back(arg.c_str());
    }
    ::testing::internal::CaptureStderr();
    ParsedCommandLine result =
        parse_command_line(static_cast<int>(argv.size()), argv.data(), /*stdin_is_tty=*/true);
    return {std::move(result), ::testing::internal::GetCapturedStderr()};
}

Options parse_ok(const std::vector<std::string>& args) {
    const Parsed parsed = parse(args);
    EXPECT_TRUE(parsed.result.options) << "exit " << parsed.result.exit_code << ": " << parsed.err;
    return parsed.result.options.value_or(Options{});
}

std::string write_config(const TempDir& dir, const std::string& text) {
    const auto path = dir / "imgfetch.toml";
    std::ofstream(path) << text;
    return path.string();
}

TEST(Config, DefaultsApplyWhenNothingIsSet) {
    const Options options = parse_ok({});
    EXPECT_EQ(options.politeness.jobs, 8U);
    EXPECT_EQ(options.outputs.output_dir, "images");
    EXPECT_EQ(options.transfer.existing, ExistingPolicy::skip);
    EXPECT_FALSE(options.transfer.checksum_sha256);
    EXPECT_TRUE(options.logging.progress);
    EXPECT_EQ(options.politeness.per_host, 0U);
    EXPECT_EQ(options.transfer.limit_rate, 0U);
    EXPECT_FALSE(options.input.shard);
    EXPECT_EQ(options.input.config_file, "");
}

TEST(Config, FileSetsOptionsByTheirLongNames) {
    const TempDir dir;
    const std::string config = write_config(dir, "# nightly\n"
                                                 "jobs = 3\n"
                                                 "output = \"/srv/images\"\n"
                                                 "existing = \"update\"\n"
                                                 "retry-max-wait = 5\n"
                                                 "limit-rate = \"64k\"\n"
                                                 "quiet = true\n");
    const Options options = parse_ok({"--config", config});
    EXPECT_EQ(options.politeness.jobs, 3U);
    EXPECT_EQ(options.outputs.output_dir, "/srv/images");
    EXPECT_EQ(options.transfer.existing, ExistingPolicy::update);
    EXPECT_EQ(options.transfer.retry_max_wait_s, 5.0);
    EXPECT_EQ(options.transfer.limit_rate, 64U * 1024);
    EXPECT_TRUE(options.logging.quiet);
    EXPECT_EQ(options.input.config_file, config);
}

TEST(Config, EnvironmentBeatsTheFile) {
    const TempDir dir;
    const std::string config = write_config(dir, "jobs = 3\nretries = 7\n");
    ScopedEnv env;
    env.set("IMGFETCH_JOBS", "5");
    const Options options = parse_ok({"--config", config});
    EXPECT_EQ(options.politeness.jobs, 5U);  // environment over file
    EXPECT_EQ(options.transfer.retries, 7U); // the file still fills what the environment leaves
}

TEST(Config, CommandLineBeatsTheEnvironmentAndTheFile) {
    const TempDir dir;
    const std::string config = write_config(dir, "jobs = 3\nexisting = \"update\"\n");
    ScopedEnv env;
    env.set("IMGFETCH_JOBS", "5");
    env.set("IMGFETCH_EXISTING", "overwrite");
    const Options options = parse_ok({"--config", config, "-j", "2", "--existing", "skip"});
    EXPECT_EQ(options.politeness.jobs, 2U);
    EXPECT_EQ(options.transfer.existing, ExistingPolicy::skip);
}

TEST(Config, EveryLongOptionHasAnEnvironmentVariable) {
    ScopedEnv env;
    env.set("IMGFETCH_OUTPUT", "out");
    env.set("IMGFETCH_JOBS", "4");
    env.set("IMGFETCH_RETRY_DELAY", "0.5");
    env.set("IMGFETCH_MAX_SIZE", "2M");
    env.set("IMGFETCH_EXISTING", "update");
    env.set("IMGFETCH_CHECKSUM", "sha256");
    env.set("IMGFETCH_TIMELINE", "run.svg");
    env.set("IMGFETCH_FAILED_LIST", "failed.txt");
    env.set("IMGFETCH_PER_HOST", "2");
    env.set("IMGFETCH_LIMIT_RATE", "1M");
    env.set("IMGFETCH_SHARD", "1/4");
    env.set("IMGFETCH_NO_PROGRESS", "1");
    env.set("IMGFETCH_INSECURE", "true");
    const Options options = parse_ok({});
    EXPECT_EQ(options.outputs.output_dir, "out");
    EXPECT_EQ(options.politeness.jobs, 4U);
    EXPECT_EQ(options.transfer.retry_delay_s, 0.5);
    EXPECT_EQ(options.transfer.max_size, 2U * 1024 * 1024);
    EXPECT_EQ(options.transfer.existing, ExistingPolicy::update);
    EXPECT_TRUE(options.transfer.checksum_sha256);
    EXPECT_EQ(options.outputs.timeline_file, "run.svg");
    EXPECT_EQ(options.outputs.failed_list_file, "failed.txt");
    EXPECT_EQ(options.politeness.per_host, 2U);
    EXPECT_EQ(options.transfer.limit_rate, 1024U * 1024);
    ASSERT_TRUE(options.input.shard);
    EXPECT_EQ(options.input.shard->index, 1U);
    EXPECT_EQ(options.input.shard->count, 4U);
    EXPECT_FALSE(options.logging.progress);
    EXPECT_TRUE(options.transfer.insecure);
}

// -o has two long names, --output and --output-dir (curl's): each works everywhere.
TEST(Config, OutputDirIsAcceptedWhereverOutputIs) {
    EXPECT_EQ(parse_ok({"--output-dir", "cli"}).outputs.output_dir, "cli");

    const TempDir dir;
    const std::string config = write_config(dir, "output-dir = \"/srv/from-file\"\n");
    EXPECT_EQ(parse_ok({"--config", config}).outputs.output_dir, "/srv/from-file");

    ScopedEnv env;
    env.set("IMGFETCH_OUTPUT_DIR", "from-env");
    EXPECT_EQ(parse_ok({"--config", config}).outputs.output_dir,
              "from-env");                                        // environment over file
    EXPECT_EQ(parse_ok({"-o", "cli"}).outputs.output_dir, "cli"); // command line over both
}

TEST(Config, BothOutputVariablesMustAgree) {
    ScopedEnv env;
    env.set("IMGFETCH_OUTPUT", "one");
    env.set("IMGFETCH_OUTPUT_DIR", "one");
    EXPECT_EQ(parse_ok({}).outputs.output_dir, "one");

    env.set("IMGFETCH_OUTPUT_DIR", "two");
    const Parsed parsed = parse({});
    EXPECT_FALSE(parsed.result.options);
    EXPECT_EQ(parsed.result.exit_code, 2);
    EXPECT_NE(parsed.err.find("IMGFETCH_OUTPUT=one and IMGFETCH_OUTPUT_DIR=two"), std::string::npos)
        << parsed.err;
}

TEST(Config, FlagVariablesAcceptFalseValues) {
    ScopedEnv env;
    env.set("IMGFETCH_QUIET", "0");
    env.set("IMGFETCH_INSECURE", "false");
    const Options options = parse_ok({});
    EXPECT_FALSE(options.logging.quiet);
    EXPECT_FALSE(options.transfer.insecure);
}

TEST(Config, EmptyVariablesAreIgnored) {
    ScopedEnv env;
    env.set("IMGFETCH_JOBS", "");
    EXPECT_EQ(parse_ok({}).politeness.jobs, 8U);
}

TEST(Config, ImgfetchConfigNamesTheFile) {
    const TempDir dir;
    const std::string config = write_config(dir, "jobs = 6\n");
    ScopedEnv env;
    env.set("IMGFETCH_CONFIG", config);
    const Options options = parse_ok({});
    EXPECT_EQ(options.politeness.jobs, 6U);
    EXPECT_EQ(options.input.config_file, config);
}

TEST(Config, MissingFileIsAUsageError) {
    const TempDir dir;
    const Parsed parsed = parse({"--config", (dir / "nope.toml").string()});
    EXPECT_FALSE(parsed.result.options);
    EXPECT_EQ(parsed.result.exit_code, 2);
    EXPECT_NE(parsed.err.find("nope.toml"), std::string::npos) << parsed.err;
}

TEST(Config, MissingFileNamedByTheEnvironmentIsAUsageError) {
    const TempDir dir;
    ScopedEnv env;
    env.set("IMGFETCH_CONFIG", (dir / "gone.toml").string());
    const Parsed parsed = parse({});
    EXPECT_FALSE(parsed.result.options);
    EXPECT_EQ(parsed.result.exit_code, 2);
    EXPECT_NE(parsed.err.find("gone.toml"), std::string::npos) << parsed.err;
}

TEST(Config, UnknownKeyInTheFileIsAUsageError) {
    const TempDir dir;
    const std::string config = write_config(dir, "jobs = 2\njbos = 3\n");
    const Parsed parsed = parse({"--config", config});
    EXPECT_FALSE(parsed.result.options);
    EXPECT_EQ(parsed.result.exit_code, 2);
    EXPECT_NE(parsed.err.find("jbos"), std::string::npos) << parsed.err;
}

TEST(Config, BadValueInTheFileIsAUsageError) {
    const TempDir dir;
    const std::string config = write_config(dir, "jobs = 0\n");
    const Parsed parsed = parse({"--config", config});
    EXPECT_FALSE(parsed.result.options);
    EXPECT_EQ(parsed.result.exit_code, 2);
    EXPECT_NE(parsed.err.find("--jobs"), std::string::npos) << parsed.err;
}

TEST(Config, BadEnvironmentValueIsAUsageErrorThatNamesTheVariable) {
    ScopedEnv env;
    env.set("IMGFETCH_JOBS", "many");
    const Parsed parsed = parse({});
    EXPECT_FALSE(parsed.result.options);
    EXPECT_EQ(parsed.result.exit_code, 2);
    EXPECT_NE(parsed.err.find("IMGFETCH_JOBS=many"), std::string::npos) << parsed.err;
}

TEST(Config, ListsAreNotTakenFromTheEnvironment) {
    ScopedEnv env;
    env.set("IMGFETCH_LIST", "other.txt");
    const Options options = parse_ok({});
    ASSERT_EQ(options.input.lists.size(), 1U);
    EXPECT_EQ(options.input.lists[0], "urls.txt");
}

// --- through the real executable ----------------------------------------------------------

// The run's "jobs" and the first file's "attempts" from a report written by a run against a
// closed loopback port (every attempt fails at once: no server needed).
struct RunShape {
    int exit_code = -1;
    unsigned jobs = 0;
    unsigned attempts = 0;
};

RunShape run_shape(const TempDir& dir, const std::vector<std::string>& extra) {
    const auto list = dir / "urls.txt";
    std::ofstream(list) << "http://127.0.0.1:1/a.png\n";
    const auto report = dir / "run.json";
    std::vector<std::string> args{list.string(),   "-o", (dir / "out").string(), "--report",
                                  report.string(), "-q", "--retry-delay",        "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = test::run_imgfetch(args, dir.path());
    RunShape shape;
    shape.exit_code = result.exit_code;
    std::ifstream in(report);
    const auto parsed = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) {
        shape.jobs = parsed.value("jobs", 0U);
        shape.attempts = parsed["files"][0].value("attempts", 0U);
    }
    return shape;
}

TEST(ConfigCli, PrecedenceHoldsForTheRealExecutable) {
    const TempDir dir;
    const std::string config = write_config(dir, "jobs = 3\nretries = 4\n");

    RunShape shape = run_shape(dir, {"--config", config});
    EXPECT_EQ(shape.exit_code, 1);
    EXPECT_EQ(shape.jobs, 3U);
    EXPECT_EQ(shape.attempts, 5U); // 1 + retries from the file

    ScopedEnv env;
    env.set("IMGFETCH_JOBS", "5");
    env.set("IMGFETCH_RETRIES", "1");
    shape = run_shape(dir, {"--config", config});
    EXPECT_EQ(shape.jobs, 5U);
    EXPECT_EQ(shape.attempts, 2U);

    shape = run_shape(dir, {"--config", config, "-j", "2", "--retries", "0"});
    EXPECT_EQ(shape.jobs, 2U);
    EXPECT_EQ(shape.attempts, 1U);
}

TEST(ConfigCli, BadEnvironmentValueExitsTwoAndSaysWhere) {
    const TempDir dir;
    ScopedEnv env;
    env.set("IMGFETCH_RETRIES", "-1");
    const auto list = dir / "urls.txt";
    std::ofstream(list) << "http://127.0.0.1:1/a.png\n";
    const auto result =
        test::run_imgfetch({list.string(), "-o", (dir / "out").string()}, dir.path());
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("IMGFETCH_RETRIES=-1"), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out")); // nothing ran
}

// --json-lines and --manifest from the environment and the config file; a manifest turns
// hashing on, as --checksum sha256 would.
TEST(Config, JsonLinesAndManifestComeFromEverySourceAndTheManifestTurnsHashingOn) {
    EXPECT_FALSE(parse_ok({}).transfer.checksum_sha256);
    {
        ScopedEnv env;
        env.set("IMGFETCH_JSON_LINES", "-");
        env.set("IMGFETCH_MANIFEST", "env.sha256");
        const Options options = parse_ok({});
        EXPECT_EQ(options.outputs.json_lines_file, "-");
        EXPECT_EQ(options.outputs.manifest_file, "env.sha256");
        EXPECT_TRUE(options.transfer.checksum_sha256);
    }
    const TempDir dir;
    const std::string config =
        write_config(dir, "json-lines = \"run.jsonl\"\nmanifest = \"file.sha256\"\n");
    const Options options = parse_ok({"--config", config});
    EXPECT_EQ(options.outputs.json_lines_file, "run.jsonl");
    EXPECT_EQ(options.outputs.manifest_file, "file.sha256");
    EXPECT_TRUE(options.transfer.checksum_sha256);
}

} // namespace
} // namespace imgfetch
