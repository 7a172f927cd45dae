// --resume through the real executable against a scripted loopback server: a cut transfer's
// partial is kept under its stable name and continued by the next attempt or the next run with
// Range and If-Range; a server that ignores Range, or a file that changed meanwhile, starts the
// file again cleanly; without --resume nothing partial is kept. (Across a SIGKILL, against
// nginx: test_resume_nginx.cpp.)
#include <sys/xattr.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/scripted_image.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace resume_e2e {

namespace fs = std::filesystem;
using nlohmann::json;

using test::Answer;
using test::ScriptedImage;
using test::SeenRequest;

constexpr std::size_t k_cut_at = test::ScriptedImage::k_cut_at;

class Resume : public ::testing::Test {
protected:
    void SetUp() override { test::write_file(list, image.url() + "\n"); }

    // Runs imgfetch on the list with `extra` arguments and the report; returns its exit code.
    int run(std::vector<std::string> extra) {
        std::vector<std::string> args{
            list.string(), "-o", out.string(), "--report", report.string(), "--retry-delay", "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        last = test::run_imgfetch(args, temp.path());
        return last.exit_code;
    }
    int run_imgfetch_again() { return run({"--resume"}); }
    json entry() const { return json::parse(test::read_file(report))["files"][0]; }

    // The names in DIR that are download temporaries (resumable or not).
    std::vector<std::string> partials() const {
        std::vector<std::string> names;
        for (const std::string& name : test::list_dir(out)) {
            if (name.rfind(".imgfetch-", 0) == 0 && name.size() > 5 &&
                name.substr(name.size() - 5) == ".part") {
                names.push_back(name);
            }
        }
        return names;
    }
    std::optional<std::string> stored_validator(const std::string& name) const {
        char value[256];
        const ssize_t n =
            ::getxattr((out / name).c_str(), "user.imgfetch.resume", value, sizeof value);
        return n < 0 ? std::nullopt : std::optional<std::string>(std::string(value, n));
    }

    ScriptedImage image;
    test::TempDir temp;
    fs::path list = temp.path() / "list.txt";
    fs::path out = temp.path() / "out";
    fs::path report = temp.path() / "report.json";
    test::ProcessResult last;
};

TEST_F(Resume, ACutTransferIsContinuedByTheNextAttemptWithRangeAndIfRange) {
    image.set({Answer::cut, Answer::honour_range});

    ASSERT_EQ(run({"--resume", "--retries", "1"}), 0) << last.err;

    EXPECT_EQ(test::read_file(out / "img.png"), image.body());
    const json saved = entry();
    const auto resumed = saved["resumed_from"].get<std::uint64_t>();
    EXPECT_GT(resumed, 0U);
    EXPECT_LE(resumed, k_cut_at) << "never more than was received";
    EXPECT_EQ(saved["attempts"], 2);
    EXPECT_EQ(saved["bytes"], image.body().size());
    EXPECT_EQ(saved["received"], image.body().size() - resumed)
        << "only the rest came over the wire";
    const std::vector<SeenRequest> seen = image.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].range, "") << "the first attempt asks for the whole file";
    EXPECT_EQ(seen[1].range, "bytes=" + std::to_string(resumed) + "-");
    EXPECT_EQ(seen[1].if_range, "\"v1\"");
    EXPECT_EQ(seen[1].status, 206);
    EXPECT_TRUE(partials().empty());
}

TEST_F(Resume, AKeptPartialIsContinuedByTheNextRunAndItsValidatorIsRemovedFromTheFile) {
    image.set({Answer::cut});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;
    const std::vector<std::string> kept = partials();
    ASSERT_EQ(kept.size(), 1U);
    EXPECT_NE(kept[0].find(".resume.part"), std::string::npos) << kept[0];
    const auto kept_size = fs::file_size(out / kept[0]);
    EXPECT_GT(kept_size, 0U);
    EXPECT_EQ(image.body().substr(0, kept_size), test::read_file(out / kept[0]));
    EXPECT_EQ(stored_validator(kept[0]), "\"v1\"");
    EXPECT_FALSE(fs::exists(out / "img.png"));

    image.set({Answer::honour_range});
    ASSERT_EQ(run({"--resume"}), 0) << last.err;

    EXPECT_EQ(test::read_file(out / "img.png"), image.body());
    EXPECT_EQ(entry()["resumed_from"], kept_size);
    EXPECT_EQ(image.seen().back().status, 206);
    EXPECT_TRUE(partials().empty());
    char value[16];
    EXPECT_LT(::getxattr((out / "img.png").c_str(), "user.imgfetch.resume", value, sizeof value), 0)
        << "a saved file carries no resume validator";
}

TEST_F(Resume, AServerThatIgnoresRangeStartsTheFileAgainFromItsFirstByte) {
    image.set({Answer::cut});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;
    ASSERT_EQ(partials().size(), 1U);

    image.set({Answer::whole});
    ASSERT_EQ(run({"--resume"}), 0) << last.err;

    EXPECT_EQ(test::read_file(out / "img.png"), image.body()) << "not appended to the partial";
    EXPECT_EQ(entry()["resumed_from"], 0);
    EXPECT_EQ(entry()["received"], image.body().size());
    EXPECT_NE(image.seen().back().range, "") << "it was asked for a range";
    EXPECT_EQ(image.seen().back().status, 200);
    EXPECT_TRUE(partials().empty());
}

TEST_F(Resume, AFileChangedBetweenRunsFailsIfRangeAndIsFetchedWhole) {
    image.set({Answer::cut});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;
    ASSERT_EQ(partials().size(), 1U);

    image.change(test::fake_png(8, 601'000), "\"v2\"");
    image.set({Answer::honour_range});
    ASSERT_EQ(run({"--resume"}), 0) << last.err;

    EXPECT_EQ(test::read_file(out / "img.png"), image.body());
    EXPECT_EQ(image.seen().back().if_range, "\"v1\"") << "asked with the old version's ETag";
    EXPECT_EQ(image.seen().back().status, 200);
    EXPECT_EQ(entry()["resumed_from"], 0);
}

TEST_F(Resume, A206OfAnotherVersionIsNeverAppendedAndTheFileStartsAgain) {
    image.set({Answer::cut});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;
    ASSERT_EQ(partials().size(), 1U);

    image.change(test::fake_png(9, 600'000), "\"v2\""); // a cache that ignores If-Range
    image.set({Answer::any_range, Answer::whole});
    ASSERT_EQ(run({"--resume", "--retries", "1"}), 0) << last.err;

    EXPECT_EQ(test::read_file(out / "img.png"), image.body()) << "no old prefix in it";
    const std::vector<SeenRequest> seen = image.seen();
    ASSERT_EQ(seen.size(), 3U);
    EXPECT_EQ(seen[1].status, 206) << "the broken answer was given";
    EXPECT_EQ(seen[2].range, "") << "then the file was asked for whole";
    EXPECT_EQ(entry()["resumed_from"], 0);
}

TEST_F(Resume, A206ThatStopsShortOfTheEndIsNeverSavedAsTheFile) {
    image.set({Answer::cut});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;

    image.set({Answer::bounded_range});
    EXPECT_EQ(run({"--resume", "--retries", "0", "--verify", "none"}), 1) << last.err;

    EXPECT_FALSE(fs::exists(out / "img.png")) << "a prefix and 1000 bytes are not the image";
    EXPECT_NE(entry()["error"].get<std::string>().find("206"), std::string::npos);
    EXPECT_TRUE(partials().empty());
}

TEST_F(Resume, AStrongLastModifiedDateGuardsTheRangeWhenThereIsNoETag) {
    image.change(image.body(), "", "Wed, 21 Oct 2015 07:28:00 GMT");
    image.set({Answer::cut});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;
    ASSERT_EQ(partials().size(), 1U);
    EXPECT_EQ(stored_validator(partials()[0]), "Wed, 21 Oct 2015 07:28:00 GMT");

    image.set({Answer::honour_range});
    ASSERT_EQ(run({"--resume"}), 0) << last.err;

    EXPECT_EQ(test::read_file(out / "img.png"), image.body());
    EXPECT_EQ(image.seen().back().if_range, "Wed, 21 Oct 2015 07:28:00 GMT");
    EXPECT_EQ(image.seen().back().status, 206);
    EXPECT_GT(entry()["resumed_from"].get<std::uint64_t>(), 0U);
}

TEST_F(Resume, A416ToTheRangeStartsTheFileAgainInTheSameAttempt) {
    image.set({Answer::cut});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;
    ASSERT_EQ(partials().size(), 1U);

    image.set({Answer::unsatisfiable, Answer::whole});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 0) << last.err;

    EXPECT_EQ(test::read_file(out / "img.png"), image.body());
    const std::vector<SeenRequest> seen = image.seen();
    ASSERT_EQ(seen.size(), 3U);
    EXPECT_EQ(seen[1].status, 416);
    EXPECT_EQ(seen[2].range, "") << "asked again for the whole file";
    EXPECT_EQ(entry()["attempts"], 1) << "not a retry: --retries 0 still saves it";
    EXPECT_TRUE(partials().empty());
}

TEST_F(Resume, WithoutResumeNoPartialIsKeptAndAnEarlierOneIsRemoved) {
    image.set({Answer::cut});
    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;
    ASSERT_EQ(partials().size(), 1U);

    ASSERT_EQ(run({"--retries", "0"}), 1) << last.err;

    EXPECT_TRUE(partials().empty()) << "the earlier partial and the new cut temporary are gone";
    EXPECT_EQ(image.seen().back().range, "") << "no range asked without --resume";
    EXPECT_NE(last.err.find("removed 1 stale temporary file"), std::string::npos) << last.err;
}

TEST_F(Resume, AnInterruptedRunKeepsItsPartialForTheNext) {
    image.set({Answer::stall});
    fs::create_directories(out);
    std::vector<std::string> args{list.string(), "-o", out.string(), "--resume"};
    test::ChildProcess stalled = test::start_imgfetch(
        args, {"/dev/null", temp.path() / "stalled.out", temp.path() / "stalled.err"});
    ASSERT_TRUE(test::eventually([&] {
        const std::vector<std::string> names = partials();
        std::error_code ec;
        return names.size() == 1 && fs::file_size(out / names[0], ec) > 0;
    })) << stalled.err();

    stalled.send(SIGINT);

    EXPECT_EQ(stalled.wait_for_exit(), test::exited_with(130)) << stalled.err();
    ASSERT_EQ(partials().size(), 1U) << "Ctrl-C keeps what arrived";
    EXPECT_EQ(stored_validator(partials()[0]), "\"v1\"");
    image.set({Answer::honour_range});
    ASSERT_EQ(run({"--resume"}), 0) << last.err;
    EXPECT_EQ(test::read_file(out / "img.png"), image.body());
    EXPECT_GT(entry()["resumed_from"].get<std::uint64_t>(), 0U);
}

TEST_F(Resume, ABodyWithoutAValidatorIsNotKept) {
    image.change(image.body(), "");
    image.set({Answer::cut});

    ASSERT_EQ(run({"--resume", "--retries", "0"}), 1) << last.err;

    EXPECT_TRUE(partials().empty()) << "no ETag, no Last-Modified: If-Range could not guard it";
    EXPECT_NE(entry()["error"].get<std::string>(), "");
}

} // namespace resume_e2e
} // namespace imgfetch
