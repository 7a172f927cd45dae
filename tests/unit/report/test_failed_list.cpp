// --failed-list: the pure renderer, the atomic write, and reruns through the real executable.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/url_list.hpp"
#include "imgfetch/report/failed_list.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::list_dir;
using test::read_file;
using test::run_imgfetch;
using test::TempDir;
using test::TestServer;

TransferResult failed_download(std::size_t seq, const std::string& url, const std::string& name) {
    Task task{seq, seq + 1, url, name, false};
    return failed_result(task, "HTTP 404");
}

TransferResult ok_download(std::size_t seq, const std::string& url, const std::string& name) {
    TransferResult result = failed_download(seq, url, name);
    result.status = Status::ok;
    result.error.clear();
    return result;
}

TransferResult bad_line(std::size_t seq, const std::string& error) {
    TransferResult result;
    result.seq = seq;
    result.status = Status::failed;
    result.error = error;
    return result;
}

unsigned mode_of(const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 0777U;
}

TEST(FailedList, ListsEachFailedDownloadAsUrlAndNameInListOrder) {
    const std::vector<TransferResult> records{
        ok_download(0, "http://h/ok.png", "ok.png"),
        failed_download(1, "http://h/a.png", "a.png"),
        bad_line(2, "urls.txt:3: not an http(s) URL: ftp://h/x"),
        failed_download(3, "http://g/a.png", "a-2.png"),
    };

    const FailedList list = render_failed_list(records, /*interrupted=*/false);

    EXPECT_EQ(list.text, "http://h/a.png a.png\n"
                         "# urls.txt:3: not an http(s) URL: ftp://h/x\n"
                         "http://g/a.png a-2.png\n");
    EXPECT_FALSE(list.has_credentials);
}

TEST(FailedList, AFailedPageIsACommentSayingHowToRunItAgainAndItsImagesAreLines) {
    TransferResult page = failed_result(0, 1, "http://me:pw@h/gallery.html",
                                        "page http://***@h/gallery.html: HTTP 404");
    page.page = "http://***@h/gallery.html";
    TransferResult image = failed_download(1, "http://h/a.png", "a.png");
    image.page = "http://h/other.html";

    const FailedList list = render_failed_list({page, image}, false);

    EXPECT_EQ(list.text, "# run this page again with --page URL: page http://***@h/gallery.html: "
                         "HTTP 404\n"
                         "http://h/a.png a.png\n");
    EXPECT_FALSE(list.has_credentials) << "the page's password is not in the comment";
}

TEST(FailedList, IsEmptyWhenNothingFailed) {
    TransferResult duplicate;
    duplicate.status = Status::duplicate;
    const FailedList list =
        render_failed_list({ok_download(0, "http://h/ok.png", "ok.png"), duplicate}, false);
    EXPECT_EQ(list.text, "");
}

TEST(FailedList, KeepsCredentialsAndSaysSo) {
    const FailedList list =
        render_failed_list({failed_download(0, "https://me:s3cret@h/a.png", "a.png")}, false);
    EXPECT_EQ(list.text, "https://me:s3cret@h/a.png a.png\n");
    EXPECT_TRUE(list.has_credentials);
}

TEST(FailedList, CommentsStayOnOneLineAndRedacted) {
    TransferResult odd = bad_line(0, "list:1: reason with\na newline");
    const FailedList list = render_failed_list({odd}, false);
    EXPECT_EQ(list.text, "# list:1: reason with\\x0Aa newline\n");

    // A failed result without its listed URL (a last-resort result): a comment, redacted.
    TransferResult no_source = failed_download(1, "http://me:pw@h/a.png", "a.png");
    no_source.source_url.clear();
    EXPECT_EQ(render_failed_list({no_source}, false).text, "# http://***@h/a.png: HTTP 404\n");
}

TEST(FailedList, TasksInterruptedBeforeTheyStartedAreListedAndTheEndIsMarked) {
    const Task task{0, 1, "http://h/a.png", "a.png", false};
    const FailedList list =
        render_failed_list({failed_result(task, "interrupted before it started")}, true);
    EXPECT_EQ(list.text, "http://h/a.png a.png\n"
                         "# interrupted: list lines after the last one read were not read\n");
}

TEST(FailedList, EveryLineParsesBackToTheSameUrlAndName) {
    const std::string url = "http://127.0.0.1:8080/p/a%20b.png?x=1&y=2#frag";
    for (const std::string& name : std::vector<std::string>{
             "a.png", "a-2.png", "my photo 1.jpg", "#1.jpg", "x", "photo-3", "ünïcødé.webp",
             "a  b.gif", std::string(k_max_name_bytes - 4, 'n') + ".png"}) {
        ASSERT_EQ(sanitize_file_name(name), name) << "not a reserved name: " << name;
        const FailedList list = render_failed_list({failed_download(0, url, name)}, false);
        ASSERT_TRUE(list.text.ends_with("\n"));
        const ParsedLine parsed = parse_list_line(list.text.substr(0, list.text.size() - 1));
        const auto* entry = std::get_if<ListEntry>(&parsed);
        ASSERT_NE(entry, nullptr) << list.text;
        EXPECT_EQ(entry->url, url);
        EXPECT_EQ(entry->name, name);
    }
}

TEST(FailedList, ASinkForItAloneKeepsOnlyFailedRecordsButCountsAll) {
    ResultSink sink(KeepRecords::failed);
    sink.add(ok_download(0, "http://h/ok.png", "ok.png"));
    sink.add(failed_download(2, "http://h/b.png", "b.png"));
    sink.add(failed_download(1, "http://h/a.png", "a.png"));

    EXPECT_EQ(sink.summary().total, 3U);
    const std::vector<TransferResult> records = sink.take_records();
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0].file_name, "a.png") << "in list order";
    EXPECT_EQ(records[1].file_name, "b.png");
}

TEST(WriteFileAtomically, ReplacesTheFileWithTheModeAskedAndLeavesNoTemporary) {
    TempDir temp;
    const auto path = temp / "list.txt";
    test::write_file(path, "old content that is longer\n");
    std::filesystem::permissions(path, std::filesystem::perms::all);

    write_file_atomically(path.string(), "new\n", 0600);

    EXPECT_EQ(read_file(path), "new\n");
    EXPECT_EQ(mode_of(path), 0600U) << "a new file, not the old one rewritten";
    EXPECT_EQ(list_dir(temp.path()), std::vector<std::string>{"list.txt"});
}

TEST(WriteFileAtomically, FailsWithoutTouchingAnythingWhenTheDirectoryIsMissing) {
    TempDir temp;
    const auto path = temp / "missing" / "list.txt";
    EXPECT_THROW(write_file_atomically(path.string(), "x", 0666), std::system_error);
    EXPECT_THROW(check_file_writable_atomically(path.string()), std::system_error);
    EXPECT_THROW(check_file_writable_atomically(temp.path().string()), std::system_error)
        << "a directory is not a file";
    EXPECT_NO_THROW(check_file_writable_atomically((temp / "fine.txt").string()));
    EXPECT_TRUE(list_dir(temp.path()).empty()) << "the probe leaves nothing behind";
}

// Through the real executable: /img/N.png always works; /flaky/... answers 404 until `fixed`.
class FailedListCli : public ::testing::Test {
protected:
    FailedListCli() {
        server.server().Get(
            R"(/img/(\d+)\.png)", [](const httplib::Request& req, httplib::Response& res) {
                res.set_content(test::fake_png(std::stoul(req.matches[1])), "image/png");
            });
        server.server().Get(
            R"(/flaky/(\d+)/a\.png)", [this](const httplib::Request& req, httplib::Response& res) {
                ++flaky_requests;
                if (!fixed) {
                    res.status = 404;
                    return;
                }
                res.set_content(test::fake_png(100 + std::stoul(req.matches[1])), "image/png");
            });
    }

    std::string write_list(const std::string& text) {
        const auto path = temp / "urls.txt";
        test::write_file(path, text);
        return path.string();
    }

    std::string out() const { return (temp / "out").string(); }
    std::filesystem::path failed() const { return temp / "failed.txt"; }

    TempDir temp;
    // Declared before the server, so they outlive its handlers.
    std::atomic<bool> fixed{false};
    std::atomic<int> flaky_requests{0};
    TestServer server;
};

TEST_F(FailedListCli, ListsTheFailuresWithTheirNamesAndRerunsThemUnderTheSameNames) {
    // Two URLs that both want "a.png": the second one is reserved "a-2.png".
    const std::string list =
        write_list(server.url("/img/1.png") + "\n" + server.url("/flaky/1/a.png") + "\n" +
                   "not-a-url at all\n" + server.url("/img/2.png") + "\n" +
                   server.url("/flaky/2/a.png") + "\n");

    const auto first = run_imgfetch(
        {list, "-j", "2", "-o", out(), "--failed-list", failed().string()}, temp.path());

    EXPECT_EQ(first.exit_code, 1) << first.err;
    EXPECT_EQ(read_file(failed()), server.url("/flaky/1/a.png") + " a.png\n" + "# " + list +
                                       ":3: not an http(s) URL: not-a-url\n" +
                                       server.url("/flaky/2/a.png") + " a-2.png\n");
    EXPECT_EQ(list_dir(out()), (std::vector<std::string>{"1.png", "2.png"}));
    EXPECT_EQ(flaky_requests.load(), 2);

    // The next run takes the failed list as its list, and writes the new one over it.
    fixed = true;
    const auto second = run_imgfetch(
        {failed().string(), "-j", "2", "-o", out(), "--failed-list", failed().string()},
        temp.path());

    EXPECT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(flaky_requests.load(), 4) << "exactly the failed URLs, once each";
    EXPECT_EQ(list_dir(out()), (std::vector<std::string>{"1.png", "2.png", "a-2.png", "a.png"}));
    EXPECT_EQ(read_file(temp / "out" / "a.png"), test::fake_png(101));
    EXPECT_EQ(read_file(temp / "out" / "a-2.png"), test::fake_png(102));
    EXPECT_TRUE(std::filesystem::exists(failed()));
    EXPECT_EQ(std::filesystem::file_size(failed()), 0U) << "nothing failed: an empty file";
}

TEST_F(FailedListCli, AllOkReplacesAnOldListWithAnEmptyFile) {
    const std::string list = write_list(server.url("/img/1.png") + "\n");
    test::write_file(failed(), "http://stale.example/x.png x.png\n");

    const auto run =
        run_imgfetch({list, "-o", out(), "--failed-list", failed().string()}, temp.path());

    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(std::filesystem::file_size(failed()), 0U);
}

TEST_F(FailedListCli, ListWithCredentialsIsPrivateAndKeepsTheUrlIntact) {
    const std::string url =
        "http://reader:t0p-s3cret@127.0.0.1:" + std::to_string(server.port()) + "/flaky/7/a.png";
    const std::string list = write_list(url + "\n");

    const auto run = run_imgfetch(
        {list, "--sequential", "-o", out(), "--failed-list", failed().string()}, temp.path());

    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_EQ(read_file(failed()), url + " a.png\n");
    EXPECT_EQ(mode_of(failed()), 0600U);
    EXPECT_EQ(run.err.find("t0p-s3cret"), std::string::npos) << "the log stays redacted";
}

TEST_F(FailedListCli, UnwritableFailedListIsAUsageErrorBeforeAnyDownload) {
    const std::string list = write_list(server.url("/flaky/1/a.png") + "\n");

    const auto run = run_imgfetch(
        {list, "-o", out(), "--failed-list", (temp / "no-such-dir" / "failed.txt").string()},
        temp.path());

    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("cannot write failed list"), std::string::npos) << run.err;
    EXPECT_EQ(flaky_requests.load(), 0);
}

// Responses to /slow/sN.png that hang until released, so a run can be interrupted mid-way.
class InterruptedFailedList : public ::testing::Test {
protected:
    InterruptedFailedList() {
        server.server().Get(
            R"(/img/(\d+)\.png)", [](const httplib::Request& req, httplib::Response& res) {
                res.set_content(test::fake_png(std::stoul(req.matches[1])), "image/png");
            });
        server.server().Get(
            R"(/slow/s\d+\.png)", [this](const httplib::Request&, httplib::Response& res) {
                std::unique_lock lock(mutex);
                ++started;
                started_changed.notify_all(); // under the lock: the test waits on `started`
                released_changed.wait(lock, [this] { return released; });
                res.status = 503;
            });
    }
    ~InterruptedFailedList() override {
        {
            std::lock_guard lock(mutex);
            released = true;
        }
        // Outside the lock: the woken handlers re-check `released` under it. Before the
        // members go: the server joins its handler threads.
        released_changed.notify_all();
    }

    bool wait_until_started(int count) {
        std::unique_lock lock(mutex);
        return started_changed.wait_for(lock, std::chrono::seconds(10),
                                        [&] { return started >= count; });
    }

    TempDir temp;
    std::mutex mutex; // guards started and released
    std::condition_variable started_changed;
    std::condition_variable released_changed;
    int started = 0;
    bool released = false;
    TestServer server;
};

TEST_F(InterruptedFailedList, ListsTasksThatNeverRanAndMarksTheEnd) {
    std::string text = server.url("/img/1.png") + "\n" + server.url("/img/2.png") + "\n";
    for (int i = 1; i <= 4; ++i) {
        text += server.url("/slow/s" + std::to_string(i) + ".png") + "\n";
    }
    const auto list = temp / "urls.txt";
    test::write_file(list, text);
    const auto failed = temp / "failed.txt";

    // Two workers: once both hang in /slow/s1 and /slow/s2, s3 and s4 wait in the queue.
    test::ChildProcess run = test::start_imgfetch(
        {list.string(), "-j", "2", "-o", (temp / "out").string(), "--failed-list", failed.string()},
        test::child_io(temp.path(), "run"));
    ASSERT_TRUE(wait_until_started(2)) << run.err();
    run.send(SIGINT);
    const auto status = run.wait_for_exit();

    ASSERT_TRUE(status) << "still running after SIGINT; stderr:\n" << run.err();
    EXPECT_EQ(*status, test::exited_with(130)) << run.err();
    std::string expected;
    for (int i = 1; i <= 4; ++i) {
        expected += server.url("/slow/s" + std::to_string(i) + ".png") + " s" + std::to_string(i) +
                    ".png\n";
    }
    expected += "# interrupted: list lines after the last one read were not read\n";
    EXPECT_EQ(read_file(failed), expected);
}

} // namespace
} // namespace imgfetch
