// --json-lines and the gallery-dl pipe shape through the real executable: a pipe reader sees
// the first lines while the last URL is still held by the server, stdout carries nothing but
// JSON lines with the summary last, a reader that goes away does not stop the downloads (exit
// 2, one error line), the lines equal the report's entries, and a list on stdin, one URL a
// line (what `gallery-dl -g URL` prints), is downloaded.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "support/bounded_wait.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

namespace fs = std::filesystem;
using test::contains;
using test::fake_png;
using test::read_file;
using test::TempDir;

// A gate the server's handlers wait behind until the test releases it. Guarded by m_mutex.
class JsonLinesGate {
public:
    void wait() {
        std::unique_lock lock(m_mutex); // guards m_open
        m_cv.wait(lock, [this] { return m_open; });
    }
    void release() {
        {
            std::lock_guard lock(m_mutex); // guards m_open
            m_open = true;
        }
        m_cv.notify_all(); // outside the lock: the woken handlers need it at once
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_open = false;
};

// The read end of a FIFO that the child's stdout is: a real pipe. Opened before the child
// (non-blocking, so the child's open for writing finds a reader and does not wait), read a
// line at a time with a deadline. Owned by the test thread.
class JsonLinesPipe {
public:
    explicit JsonLinesPipe(fs::path path) : m_path(std::move(path)) {
        if (::mkfifo(m_path.c_str(), 0600) != 0) {
            throw std::system_error(errno, std::generic_category(), "mkfifo");
        }
        m_fd = ::open(m_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (m_fd < 0) {
            throw std::system_error(errno, std::generic_category(), "open fifo");
        }
    }
    ~JsonLinesPipe() { close(); }
    JsonLinesPipe(const JsonLinesPipe&) = delete;
    JsonLinesPipe& operator=(const JsonLinesPipe&) = delete;

    const fs::path& path() const { return m_path; }
    void close() {
        if (m_fd >= 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }

    // The next line without its '\n'; nothing at the end of the stream or after `deadline`.
    std::optional<std::string>
    next_line(std::chrono::milliseconds deadline = test::k_hang_deadline) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            if (const auto newline = m_buffer.find('\n'); newline != std::string::npos) {
                std::string line = m_buffer.substr(0, newline);
                m_buffer.erase(0, newline + 1);
                return line;
            }
            if (m_ended) {
                return std::nullopt;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return std::nullopt;
            }
            pollfd pfd{m_fd, POLLIN, 0};
            ::poll(&pfd, 1, static_cast<int>(left.count()));
            char chunk[4096];
            const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
            if (n > 0) {
                m_buffer.append(chunk, static_cast<std::size_t>(n));
            } else if (n == 0) {
                m_ended = true; // every writer has closed it: the child has exited
            }
        }
    }

    // Every remaining line, up to the end of the stream.
    std::vector<std::string> rest() {
        std::vector<std::string> lines;
        while (std::optional<std::string> line = next_line()) {
            lines.push_back(std::move(*line));
        }
        return lines;
    }

private:
    fs::path m_path;
    int m_fd = -1;
    std::string m_buffer; // read, not yet returned
    bool m_ended = false;
};

// /img/<n>.png serves fake_png(n); /held.png waits for `gate` first.
class JsonLinesRun : public ::testing::Test {
protected:
    JsonLinesRun() {
        server.server().Get(R"(/img/(\d+)\.png)",
                            [](const httplib::Request& req, httplib::Response& res) {
                                res.set_content(fake_png(std::stoul(req.matches[1])), "image/png");
                            });
        server.server().Get("/held.png", [this](const httplib::Request&, httplib::Response& res) {
            gate.wait();
            res.set_content(fake_png(99), "image/png");
        });
    }
    // Before the server is destroyed: its handler threads must not wait for ever.
    ~JsonLinesRun() override { gate.release(); }

    std::string image(int n) { return server.url("/img/" + std::to_string(n) + ".png"); }

    std::string list_of(const std::vector<std::string>& urls) {
        std::string text;
        for (const std::string& url : urls) {
            text += url + "\n";
        }
        test::write_file(temp / "list.txt", text);
        return (temp / "list.txt").string();
    }

    TempDir temp;
    JsonLinesGate gate;
    test::TestServer server;
    const fs::path dir = temp / "out";
};

TEST_F(JsonLinesRun, APipeReaderSeesLinesBeforeTheRunEndsAndNothingElseOnStdout) {
    JsonLinesPipe pipe(temp / "stdout.fifo");
    const std::string list = list_of({image(1), image(2), server.url("/held.png")});
    test::ChildProcess child(
        test::imgfetch_argv({list, "-o", dir.string(), "--json-lines", "-", "-v"}),
        {"/dev/null", pipe.path(), temp / "stderr.txt"});

    // The last URL is held by the server: these lines can only come from a run still going.
    const std::optional<std::string> first = pipe.next_line();
    const std::optional<std::string> second = pipe.next_line();
    ASSERT_TRUE(first && second) << read_file(temp / "stderr.txt");
    EXPECT_FALSE(child.has_exited());
    EXPECT_EQ(nlohmann::json::parse(*first)["url"], image(1));
    EXPECT_EQ(nlohmann::json::parse(*second)["status"], "ok");

    gate.release();
    const std::vector<std::string> rest = pipe.rest();
    const std::optional<test::ExitStatus> status = child.wait_for_exit(test::k_hang_deadline);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, test::exited_with(0)) << read_file(temp / "stderr.txt");
    // Every byte on stdout is a JSON line: the held URL's entry, then the summary, last.
    ASSERT_EQ(rest.size(), 2U) << read_file(temp / "stderr.txt");
    const auto held = nlohmann::json::parse(rest[0]);
    EXPECT_EQ(held["url"], server.url("/held.png"));
    EXPECT_EQ(held["path"], (dir / "held.png").string());
    const auto summary = nlohmann::json::parse(rest[1]);
    ASSERT_EQ(summary.size(), 1U) << rest[1];
    EXPECT_EQ(summary["summary"]["ok"], 3);
    // The log went to stderr (-v: a line per file), none of it to stdout.
    EXPECT_TRUE(contains(read_file(temp / "stderr.txt"), "held.png"));
}

TEST_F(JsonLinesRun, AReaderThatGoesAwayDoesNotStopTheDownloads) {
    JsonLinesPipe pipe(temp / "stdout.fifo");
    const std::string list = list_of({image(1), server.url("/held.png"), image(3)});
    test::ChildProcess child(test::imgfetch_argv({list, "-o", dir.string(), "--json-lines", "-"}),
                             {"/dev/null", pipe.path(), temp / "stderr.txt"});
    ASSERT_TRUE(pipe.next_line()) << read_file(temp / "stderr.txt");
    pipe.close(); // like `| head -n 1`: the next write meets EPIPE
    gate.release();

    const std::optional<test::ExitStatus> status = child.wait_for_exit(test::k_hang_deadline);
    ASSERT_TRUE(status);
    const std::string err = read_file(temp / "stderr.txt");
    EXPECT_EQ(*status, test::exited_with(2)) << err; // not killed by SIGPIPE
    EXPECT_EQ(test::list_dir(dir), (std::vector<std::string>{"1.png", "3.png", "held.png"}));
    // One error line when the writes failed, one closing message: never a line per result.
    std::size_t mentions = 0;
    for (std::size_t at = err.find("--json-lines"); at != std::string::npos;
         at = err.find("--json-lines", at + 1)) {
        ++mentions;
    }
    EXPECT_EQ(mentions, 2U) << err;
    EXPECT_TRUE(contains(err, "Broken pipe")) << err;
    EXPECT_TRUE(contains(err, "3 of its 4 lines were not written")) << err;
}

TEST_F(JsonLinesRun, LinesInAFileAreTheReportsEntriesAndSummary) {
    gate.release();
    const std::string list = list_of({image(1), server.url("/missing.png"), image(1), image(2)});
    const auto result = test::run_imgfetch({list, "-o", dir.string(), "--retries", "0",
                                            "--json-lines", (temp / "out.jsonl").string(),
                                            "--report", (temp / "report.json").string()},
                                           temp.path());
    EXPECT_EQ(result.exit_code, 1) << result.err; // the 404
    EXPECT_EQ(result.out, "");

    const auto report = nlohmann::json::parse(read_file(temp / "report.json"));
    std::vector<nlohmann::json> lines;
    std::istringstream text(read_file(temp / "out.jsonl"));
    for (std::string line; std::getline(text, line);) {
        lines.push_back(nlohmann::json::parse(line));
    }
    ASSERT_EQ(lines.size(), 5U);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(lines[i], report["files"][i]) << i;
    }
    EXPECT_EQ(lines[2]["status"], "duplicate");
    EXPECT_EQ(lines[2]["path"], (dir / "1.png").string()); // its first occurrence's file
    EXPECT_EQ(lines[4]["summary"], report["summary"]);
}

TEST_F(JsonLinesRun, AnUnwritableFileStopsTheRunBeforeAnyDownload) {
    const std::string list = list_of({image(1)});
    const auto result = test::run_imgfetch(
        {list, "-o", dir.string(), "--json-lines", (temp / "no" / "out.jsonl").string()},
        temp.path());
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(contains(result.err, "cannot write --json-lines")) << result.err;
    EXPECT_FALSE(fs::exists(dir / "1.png"));
}

// `gallery-dl -g URL | imgfetch -`: gallery-dl prints one direct URL a line; the same shape
// on stdin, without gallery-dl.
TEST_F(JsonLinesRun, AListOnStdinOneUrlALineIsDownloaded) {
    gate.release();
    const std::string list = list_of({image(1), image(2), image(3)});
    const auto result =
        test::run_imgfetch({"-", "-o", dir.string(), "--json-lines", "-", "-q"}, temp.path(), list);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(test::list_dir(dir), (std::vector<std::string>{"1.png", "2.png", "3.png"}));
    EXPECT_EQ(read_file(dir / "2.png"), fake_png(2));
    std::istringstream text(result.out);
    std::vector<std::string> lines;
    for (std::string line; std::getline(text, line);) {
        lines.push_back(line);
    }
    ASSERT_EQ(lines.size(), 4U) << result.out;
    EXPECT_EQ(nlohmann::json::parse(lines[3])["summary"]["ok"], 3);
}

} // namespace
} // namespace imgfetch
