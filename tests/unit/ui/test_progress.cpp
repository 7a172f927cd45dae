// The live progress bar: the pure line formatter, the status line's bytes, the drawing thread,
// and the real executable on a real pseudo-terminal.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "imgfetch/ui/progress.hpp"
#include "support/child_process.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using test::fake_png;
using test::TempDir;
using test::TestServer;

constexpr std::uint64_t k_mib = 1024 * 1024;

// --- the pure formatter ---------------------------------------------------------------------

TEST(ProgressFormat, BytesUseBinaryUnitsWithOneDecimal) {
    EXPECT_EQ(format_bytes(0), "0 B");
    EXPECT_EQ(format_bytes(1023), "1023 B");
    EXPECT_EQ(format_bytes(1024), "1.0 KiB");
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
    EXPECT_EQ(format_bytes(k_mib - 1), "1.0 MiB"); // never "1024.0 KiB"
    EXPECT_EQ(format_bytes(3565158), "3.4 MiB");
    EXPECT_EQ(format_bytes(5 * 1024 * k_mib), "5.0 GiB");
}

TEST(ProgressFormat, DurationsRoundUpToWholeSeconds) {
    EXPECT_EQ(format_duration(0), "0:00");
    EXPECT_EQ(format_duration(-3), "0:00");
    EXPECT_EQ(format_duration(0.2), "0:01");
    EXPECT_EQ(format_duration(6.2), "0:07");
    EXPECT_EQ(format_duration(754), "12:34");
    EXPECT_EQ(format_duration(3723), "1:02:03");
}

TEST(ProgressFormat, EtaIsUnknownUntilTheTotalIsFinalAndOneTaskIsDone) {
    EXPECT_FALSE(estimate_eta(10, 40, /*total_final=*/false, 5.0));
    EXPECT_FALSE(estimate_eta(0, 40, true, 5.0));
    EXPECT_FALSE(estimate_eta(10, 40, true, 0.0));
    EXPECT_DOUBLE_EQ(*estimate_eta(10, 40, true, 5.0), 15.0); // 30 left at 2 per second
    EXPECT_DOUBLE_EQ(*estimate_eta(40, 40, true, 5.0), 0.0);
}

ProgressSnapshot midway() {
    ProgressSnapshot s;
    s.done = 12;
    s.total = 30;
    s.total_final = true;
    s.bytes = 3565158; // 3.4 MiB
    s.active = 4;
    s.rate_bps = 1.1 * static_cast<double>(k_mib);
    s.eta_s = 6.5;
    return s;
}

TEST(ProgressFormat, AWideLineShowsEverythingAndAGraph) {
    EXPECT_EQ(format_progress_line(midway(), 80),
              "[#########---------------]  12/30 files  3.4 MiB  1.1 MiB/s  4 active  ETA 0:07");
}

TEST(ProgressFormat, AGrowingTotalIsMarkedAndHasNoGraphNorEta) {
    ProgressSnapshot s = midway();
    s.total = 40;
    s.total_final = false;
    s.eta_s.reset();

    EXPECT_EQ(format_progress_line(s, 80), "12/40+ files  3.4 MiB  1.1 MiB/s  4 active");
}

TEST(ProgressFormat, TheRateAppearsOnceMeasured) {
    ProgressSnapshot s = midway();
    s.rate_bps.reset();

    EXPECT_EQ(format_progress_line(s, 120).find("/s"), std::string::npos);
}

TEST(ProgressFormat, ANarrowTerminalDropsTheGraphThenActiveThenBytes) {
    EXPECT_EQ(format_progress_line(midway(), 45), "12/30 files  3.4 MiB  1.1 MiB/s  ETA 0:07");
    EXPECT_EQ(format_progress_line(midway(), 40), "12/30 files  1.1 MiB/s  ETA 0:07");
    EXPECT_EQ(format_progress_line(midway(), 20), "12/30 files");
    EXPECT_EQ(format_progress_line(midway(), 10), "12/30 fil");
}

TEST(ProgressFormat, EveryLineLeavesTheLastColumnFreeAtEveryWidth) {
    ProgressSnapshot huge;
    huge.done = 123456789;
    huge.total = 987654321;
    huge.total_final = true;
    huge.bytes = 987654321987654;
    huge.active = 512;
    huge.rate_bps = 1023.0 * static_cast<double>(k_mib);
    huge.eta_s = 99 * 3600 + 59 * 60;
    for (const ProgressSnapshot& s : {huge, midway(), ProgressSnapshot{}}) {
        for (std::size_t width = 1; width <= 200; ++width) {
            const std::string line = format_progress_line(s, width);
            EXPECT_LT(line.size(), width) << line;
            EXPECT_EQ(line.find_first_of("\r\n\x1b"), std::string::npos) << line;
        }
    }
}

TEST(ProgressFormat, TheGraphIsFullWhenEverythingIsDone) {
    ProgressSnapshot s = midway();
    s.done = 30;
    const std::string line = format_progress_line(s, 80);

    EXPECT_EQ(line.rfind("[##", 0), 0U) << line;
    EXPECT_EQ(line.find('-'), std::string::npos) << line;
}

TEST(RateMeter, MeasuresBytesPerSecondOverItsWindow) {
    RateMeter meter(3000ms);
    const auto t0 = RateMeter::Clock::time_point{} + 1h;
    EXPECT_FALSE(meter.bytes_per_second());
    meter.add(t0, 0);
    meter.add(t0 + 100ms, 500);
    EXPECT_FALSE(meter.bytes_per_second()) << "a tenth of a second is too short to say";
    meter.add(t0 + 1s, 1000);
    EXPECT_DOUBLE_EQ(*meter.bytes_per_second(), 1000.0);
    // Nothing new for 10 s: the old burst leaves the window and the rate falls to zero.
    meter.add(t0 + 10s, 1000);
    meter.add(t0 + 11s, 1000);
    meter.add(t0 + 14s, 1000);
    EXPECT_DOUBLE_EQ(*meter.bytes_per_second(), 0.0);
}

// --- the status line and the drawing thread -------------------------------------------------

// Both ends of a pipe, closed on destruction; the read end does not block.
struct Pipe {
    Pipe() {
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw std::system_error(errno, std::generic_category(), "pipe2");
        }
        ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    }
    ~Pipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    int write_end() const { return fds[1]; }

    // What has been written and not yet read.
    std::string drain() const {
        std::string text;
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
            if (n <= 0) {
                return text;
            }
            text.append(buffer, static_cast<std::size_t>(n));
        }
    }

    int fds[2] = {-1, -1};
};

TEST(StatusLine, DrawsInPlaceAndErasesItselfForEachPrintedLine) {
    const Pipe pipe;
    StatusLine line(pipe.write_end());

    line.print("before\n");
    EXPECT_EQ(pipe.drain(), "before\n") << "no bar yet: the text alone";
    line.show("1/3 files");
    EXPECT_EQ(pipe.drain(), "\r1/3 files\x1b[K");
    line.show("1/3 files");
    EXPECT_EQ(pipe.drain(), "") << "an unchanged line is not written again";
    line.print("imgfetch: error: x\n");
    EXPECT_EQ(pipe.drain(), "\r\x1b[Kimgfetch: error: x\n1/3 files\x1b[K");
    line.clear();
    EXPECT_EQ(pipe.drain(), "\r\x1b[K");
    line.clear();
    line.print("after\n");
    EXPECT_EQ(pipe.drain(), "after\n");
}

TEST(StatusLine, ColumnsComeFromTheTerminalOrDefaultToEighty) {
    const Pipe pipe;
    EXPECT_EQ(StatusLine(pipe.write_end()).columns(), 80U);

    int master = -1;
    int slave = -1;
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 57;
    ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, &size), 0) << std::strerror(errno);
    EXPECT_EQ(StatusLine(slave).columns(), 57U);
    ::close(slave);
    ::close(master);
}

TEST(ProgressTotal, IsTheCountMadeAheadUntilTheListsAreRead) {
    constexpr std::uint64_t none = ProgressCounters::k_not_counted;
    // Nothing counted ahead (a pipe): the tasks read so far, growing.
    EXPECT_EQ(progress_total(3, 10, false, none).total, 10U);
    EXPECT_FALSE(progress_total(3, 10, false, none).final);
    // Counted ahead: that count, final, while the reading lags behind.
    EXPECT_EQ(progress_total(3, 10, false, 300).total, 300U);
    EXPECT_TRUE(progress_total(3, 10, false, 300).final);
    // More read than counted (the file grew): growing again.
    EXPECT_EQ(progress_total(3, 301, false, 300).total, 301U);
    EXPECT_FALSE(progress_total(3, 301, false, 300).final);
    // Once read, the tasks read are the total, whatever was counted.
    EXPECT_EQ(progress_total(3, 299, true, 300).total, 299U);
    EXPECT_TRUE(progress_total(3, 299, true, 300).final);
    // Never less than done (two loads may tear).
    EXPECT_EQ(progress_total(12, 10, false, none).total, 12U);
    EXPECT_EQ(progress_total(12, 10, true, none).total, 12U);
}

TEST(ProgressBar, ShowsTheTotalCountedAheadAsFinal) {
    const Pipe pipe;
    StatusLine line(pipe.write_end());
    ProgressCounters counters;
    counters.total = 3;
    counters.done = 1;
    counters.publish_count(30);
    std::string seen;
    const ProgressBar bar(line, counters, 5ms);
    EXPECT_TRUE(test::eventually([&] {
        seen += pipe.drain();
        return seen.find("1/30 files") != std::string::npos;
    })) << seen;
}

TEST(ProgressBar, RedrawsTheCountersAndErasesItselfWhenDestroyed) {
    const Pipe pipe;
    StatusLine line(pipe.write_end());
    ProgressCounters counters;
    counters.total = 3;
    counters.done = 1;
    std::string seen;
    {
        const ProgressBar bar(line, counters, 5ms);
        ASSERT_TRUE(test::eventually([&] {
            seen += pipe.drain();
            return seen.find("1/3+ files") != std::string::npos;
        })) << seen;
        counters.done = 2;
        counters.list_complete();
        ASSERT_TRUE(test::eventually([&] {
            seen += pipe.drain();
            return seen.find("2/3 files") != std::string::npos;
        })) << seen;
    }
    seen += pipe.drain();
    ASSERT_GE(seen.size(), 4U);
    EXPECT_EQ(seen.substr(seen.size() - 4), "\r\x1b[K") << "the last thing written erases the bar";
}

TEST(ProgressBar, DestructionDoesNotWaitForTheNextRedraw) {
    const Pipe pipe;
    StatusLine line(pipe.write_end());
    const ProgressCounters counters;
    const auto started = std::chrono::steady_clock::now();
    { const ProgressBar bar(line, counters, std::chrono::hours(1)); }
    EXPECT_LT(std::chrono::steady_clock::now() - started, 30s) << "the stop request ends the wait";
    EXPECT_EQ(pipe.drain(), "") << "nothing drawn before the first interval, so nothing erased";
}

// --- the real executable on a pseudo-terminal ------------------------------------------------

// A descriptor closed on destruction.
struct Fd {
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) {
            ::close(fd);
        }
        fd = -1;
    }
    int fd = -1;
};

struct PtyRun {
    std::optional<test::ExitStatus> status;
    std::string output; // every byte the terminal received, as the master reads it
};

// Runs imgfetch with its stderr on the slave of a new pseudo-terminal `columns` wide (stdin
// `stdin_path`, stdout a file) and reads everything written to it from the master side.
PtyRun run_on_pty(const std::vector<std::string>& args, const std::filesystem::path& scratch,
                  unsigned short columns, const std::string& stdin_path = "/dev/null") {
    Fd master;
    Fd slave;
    winsize size{};
    size.ws_row = 24;
    size.ws_col = columns;
    if (::openpty(&master.fd, &slave.fd, nullptr, nullptr, &size) != 0) {
        throw std::system_error(errno, std::generic_category(), "openpty");
    }
    const char* slave_name = ::ttyname(slave.fd);
    if (slave_name == nullptr) {
        throw std::system_error(errno, std::generic_category(), "ttyname");
    }
    ChildProcess child(test::imgfetch_argv(args),
                       {stdin_path, scratch / "pty.stdout", std::string(slave_name)});
    PtyRun run;
    // Our copy of the slave stays open while the child runs, so the master never reads as
    // hung up before the child has opened its own; once the child has ended and ours is
    // closed, read() drains what is left and then fails with EIO.
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    char buffer[4096];
    for (;;) {
        pollfd ready{master.fd, POLLIN, 0};
        if (::poll(&ready, 1, 20) > 0) {
            const ssize_t n = ::read(master.fd, buffer, sizeof buffer);
            if (n > 0) {
                run.output.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            break; // EIO: no slave left open, everything read
        }
        if (slave.fd >= 0 && child.has_exited()) {
            slave.reset();
        }
        if (std::chrono::steady_clock::now() > deadline) {
            break; // the child is killed by ~ChildProcess; the test fails on its status
        }
    }
    run.status = child.wait_for_exit(10s);
    return run;
}

// A terminal emulator just good enough to tell what a reader saw: printable text, "\r", "\n",
// "\x1b[K" (erase to the end of the line) and colour sequences (ignored). Lines longer than
// the width wrap onto the next row, which is marked as a continuation.
class Screen {
public:
    Screen(std::string_view bytes, std::size_t width) : m_width(width) {
        m_rows.emplace_back();
        m_continued.push_back(false);
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            const char c = bytes[i];
            if (c == '\r') {
                m_col = 0;
            } else if (c == '\n') {
                new_row(false);
            } else if (c == '\x1b') {
                std::size_t end = i + 2; // past "\x1b["
                while (
                    end < bytes.size() &&
                    (std::isdigit(static_cast<unsigned char>(bytes[end])) || bytes[end] == ';')) {
                    ++end;
                }
                if (end >= bytes.size() || bytes[i + 1] != '[') {
                    unexpected += bytes.substr(i, 2);
                    continue;
                }
                if (bytes[end] == 'K') {
                    m_rows.back().resize(std::min(m_rows.back().size(), m_col));
                } else if (bytes[end] != 'm') {
                    unexpected += bytes.substr(i, end + 1 - i);
                }
                i = end;
            } else {
                if (m_col >= m_width) {
                    new_row(true);
                }
                std::string& row = m_rows.back();
                if (row.size() <= m_col) {
                    row.resize(m_col + 1, ' ');
                }
                row[m_col++] = c;
            }
        }
    }

    // The lines a reader sees, wrapped rows joined again, blank ones left out.
    std::vector<std::string> lines() const {
        std::vector<std::string> lines;
        for (std::size_t i = 0; i < m_rows.size(); ++i) {
            if (m_continued[i] && !lines.empty()) {
                lines.back() += m_rows[i];
            } else {
                lines.push_back(m_rows[i]);
            }
        }
        std::erase_if(lines, [](const std::string& line) {
            return line.find_first_not_of(' ') == std::string::npos;
        });
        return lines;
    }

    std::string unexpected; // escape sequences this emulator does not know

private:
    void new_row(bool continued) {
        m_rows.emplace_back();
        m_continued.push_back(continued);
        m_col = 0;
    }

    std::size_t m_width;
    std::size_t m_col = 0;
    std::vector<std::string> m_rows;
    std::vector<bool> m_continued;
};

// Every bar frame in raw terminal output: the text between a "\r" and the "\x1b[K" after it,
// when there is no line break in between.
std::vector<std::string> frames_in(const std::string& output) {
    std::vector<std::string> frames;
    std::size_t at = 0;
    while ((at = output.find('\r', at)) != std::string::npos) {
        const std::size_t end = output.find("\x1b[K", at);
        if (end == std::string::npos) {
            break;
        }
        const std::string text = output.substr(at + 1, end - at - 1);
        if (!text.empty() && text.find_first_of("\r\n\x1b") == std::string::npos) {
            frames.push_back(text);
        }
        at += 1;
    }
    return frames;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) {
        text += line + "\n";
    }
    return text;
}

class ProgressOnTerminal : public ::testing::Test {
protected:
    static constexpr int k_files = 40;
    static constexpr int k_missing_at = 30; // the 404 comes late, while the bar is up
    static constexpr unsigned short k_columns = 72;

    void SetUp() override {
        // Slow images, so the run lasts long enough for several frames (about 1.5 s with -j 4).
        server.server().Get(R"(/slow/(\d+)\.png)",
                            [this](const httplib::Request& req, httplib::Response& res) {
                                std::this_thread::sleep_for(150ms); // a slow server, not a sync
                                res.set_content(fake_png(std::stoul(req.matches[1])), "image/png");
                                count_served();
                            });
        server.server().Get("/missing.png", [](const httplib::Request&, httplib::Response& res) {
            std::this_thread::sleep_for(150ms);
            res.status = 404;
        });
        std::string text;
        for (int i = 0; i < k_files; ++i) {
            if (i == k_missing_at) {
                text += server.url("/missing.png") + "\n";
            }
            text += server.url("/slow/" + std::to_string(i) + ".png") + "\n";
        }
        test::write_file(list(), text);
    }

    std::string list() const { return (temp / "urls.txt").string(); }
    // The first `count` slow images only (about 0.15 s each when sequential).
    std::string short_list(int count) {
        std::string text;
        for (int i = 0; i < count; ++i) {
            text += server.url("/slow/" + std::to_string(i) + ".png") + "\n";
        }
        const auto file = temp / "short.txt";
        test::write_file(file, text);
        return file.string();
    }
    std::string out() const { return (temp / "out").string(); }

    // Blocks until the server has answered `count` slow images, or a minute has passed.
    void wait_until_served(int count) {
        std::unique_lock lock(served_mutex);
        served_changed.wait_for(lock, std::chrono::minutes(1), [&] { return served >= count; });
    }

    void count_served() {
        {
            const std::lock_guard lock(served_mutex);
            ++served;
        }
        served_changed.notify_all();
    }

    // Before the server: its threads count into them until it stops.
    std::mutex served_mutex; // guards served
    std::condition_variable served_changed;
    int served = 0; // slow images answered so far (server threads write)

    TestServer server;
    TempDir temp;
};

TEST_F(ProgressOnTerminal, DrawsABarThatLogLinesAndTheSummaryNeverShareALineWith) {
    const PtyRun run =
        run_on_pty({list(), "-j", "4", "--retries", "0", "-o", out()}, temp.path(), k_columns);
    ASSERT_EQ(run.status, test::exited_with(1)) << run.output;

    // The bar was drawn, in place, always narrower than the terminal, and with the list's
    // total (41 tasks) from the first frame on: the file was counted ahead, so the total is
    // never "+" (growing) although the bounded queue holds the reading back.
    const std::vector<std::string> frames = frames_in(run.output);
    ASSERT_GE(frames.size(), 3U) << run.output;
    bool eta = false;
    for (const std::string& frame : frames) {
        EXPECT_LT(frame.size(), k_columns) << frame;
        EXPECT_NE(frame.find("/41 files"), std::string::npos) << frame;
        eta = eta || frame.find("ETA ") != std::string::npos;
    }
    EXPECT_TRUE(eta) << "a known total gives an ETA";
    // The 404's error line was printed while the bar was up: erased first, then redrawn.
    EXPECT_NE(run.output.find("\r\x1b[Kimgfetch: "), std::string::npos) << run.output;

    // What a reader sees at the end: log lines only, each from column 0, no bar left over.
    const Screen screen(run.output, k_columns);
    EXPECT_EQ(screen.unexpected, "");
    const std::vector<std::string> lines = screen.lines();
    ASSERT_GE(lines.size(), 2U) << joined(lines);
    for (const std::string& line : lines) {
        EXPECT_EQ(line.rfind("imgfetch: ", 0), 0U) << "not at column 0 of a clean line:\n"
                                                   << joined(lines);
        EXPECT_EQ(line.find(" files"), std::string::npos) << "bar text left on screen:\n"
                                                          << joined(lines);
        EXPECT_EQ(line.find(" active"), std::string::npos) << joined(lines);
    }
    EXPECT_NE(joined(lines).find("/missing.png: HTTP 404\n"), std::string::npos) << joined(lines);
    EXPECT_EQ(lines.back().rfind("imgfetch: info: 40 ok, 1 failed, 0 skipped", 0), 0U)
        << joined(lines);
}

TEST_F(ProgressOnTerminal, SequentialRunsKnowTheTotalOfAFileToo) {
    const PtyRun run =
        run_on_pty({list(), "--sequential", "--retries", "0", "-o", out()}, temp.path(), k_columns);
    ASSERT_EQ(run.status, test::exited_with(1)) << run.output;

    const std::vector<std::string> frames = frames_in(run.output);
    ASSERT_GE(frames.size(), 3U) << run.output;
    for (const std::string& frame : frames) {
        EXPECT_NE(frame.find("/41 files"), std::string::npos) << frame;
    }
    const std::vector<std::string> lines = Screen(run.output, k_columns).lines();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back().rfind("imgfetch: info: 40 ok, 1 failed", 0), 0U) << joined(lines);
}

// Writes `text` into the FIFO at `path` from its own thread once a reader has opened it, then
// closes it: the reader's end of input. Destruction joins the thread, first opening a reader of
// its own in case none came (so the writer's open() returns).
class FifoFeeder {
public:
    // Writes `first`, runs `between` (the FIFO stays open, so the list is not read to its
    // end yet), then writes `second` and closes the FIFO.
    FifoFeeder(std::filesystem::path path, std::string first, std::function<void()> between,
               std::string second)
        : m_path(std::move(path)),
          m_thread([this, first = std::move(first), between = std::move(between),
                    second = std::move(second)] {
              const int fd = ::open(m_path.c_str(), O_WRONLY | O_CLOEXEC); // waits for a reader
              if (fd < 0) {
                  return;
              }
              if (write_all(fd, first)) {
                  between();
                  write_all(fd, second);
              }
              ::close(fd);
          }) {}
    ~FifoFeeder() {
        const int reader = ::open(m_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        m_thread.join();
        if (reader >= 0) {
            ::close(reader);
        }
    }
    FifoFeeder(const FifoFeeder&) = delete;
    FifoFeeder& operator=(const FifoFeeder&) = delete;

private:
    // False when the reader is gone. Each text is smaller than a pipe's buffer: never blocks.
    static bool write_all(int fd, std::string_view rest) {
        while (!rest.empty()) {
            const ssize_t n = ::write(fd, rest.data(), rest.size());
            if (n <= 0) {
                return false;
            }
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    const std::filesystem::path m_path;
    std::jthread m_thread; // last: starts once m_path exists
};

// `imgfetch - < urls.txt`: standard input that is a regular file is counted ahead as well.
TEST_F(ProgressOnTerminal, StandardInputFromAFileKnowsTheTotalToo) {
    const PtyRun run =
        run_on_pty({"-", "-j", "4", "--retries", "0", "-o", out()}, temp.path(), k_columns, list());
    ASSERT_EQ(run.status, test::exited_with(1)) << run.output;

    const std::vector<std::string> frames = frames_in(run.output);
    ASSERT_GE(frames.size(), 3U) << run.output;
    for (const std::string& frame : frames) {
        EXPECT_NE(frame.find("/41 files"), std::string::npos) << frame;
    }
}

// A FIFO can be read only once: nothing counts it ahead, so the total grows as it is read
// (the bounded queue holds the reading back) and is final only at its end.
TEST_F(ProgressOnTerminal, AListFromAFifoShowsAGrowingTotalUntilItIsRead) {
    const auto fifo = temp / "urls.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Half the list, then the rest only once several images were served: frames are drawn
    // while the FIFO is open and its end unknown, whatever the pool's queue would hold.
    const std::string text = test::read_file(list());
    std::size_t half = 0;
    for (int line = 0; line < 20; ++line) {
        half = text.find('\n', half) + 1;
    }
    const FifoFeeder feeder(
        fifo, text.substr(0, half), [this] { wait_until_served(8); }, text.substr(half));

    const PtyRun run = run_on_pty({fifo.string(), "-j", "4", "--retries", "0", "-o", out()},
                                  temp.path(), k_columns);
    ASSERT_EQ(run.status, test::exited_with(1)) << run.output;

    const std::vector<std::string> frames = frames_in(run.output);
    ASSERT_GE(frames.size(), 3U) << run.output;
    bool growing = false;
    bool final = false;
    for (const std::string& frame : frames) {
        EXPECT_NE(frame.find(" files"), std::string::npos) << frame;
        growing = growing || frame.find("+ files") != std::string::npos;
        final = final || frame.find("/41 files") != std::string::npos;
    }
    EXPECT_TRUE(growing) << "the total is marked as growing while the FIFO is read";
    EXPECT_TRUE(final) << "and shown as final (41 tasks) once it is read";
    EXPECT_NE(run.output.find("40 ok, 1 failed"), std::string::npos) << run.output;
}

// Duplicates and bad lines are tasks done at once: the total is the summary's, and the bar
// ends at it.
TEST_F(ProgressOnTerminal, DuplicatesAndBadLinesCountInTheTotal) {
    std::string text = test::read_file(list());
    text += "# a comment\n\nnot a url\n" + server.url("/slow/0.png") + "\n";
    test::write_file(temp / "more.txt", text);

    const PtyRun run =
        run_on_pty({(temp / "more.txt").string(), "-j", "4", "--retries", "0", "-o", out()},
                   temp.path(), k_columns);
    ASSERT_EQ(run.status, test::exited_with(1)) << run.output;

    const std::vector<std::string> frames = frames_in(run.output);
    ASSERT_GE(frames.size(), 3U) << run.output;
    for (const std::string& frame : frames) {
        EXPECT_NE(frame.find("/43 files"), std::string::npos) << frame;
    }
    EXPECT_NE(run.output.find("40 ok, 2 failed, 0 skipped, 0 not modified, 1 duplicate"),
              std::string::npos)
        << run.output;
}

// No bar: no erase sequence, no frame, and every carriage return is the terminal's own
// "\r\n" for a line break.
void expect_no_bar(const std::string& output) {
    EXPECT_EQ(output.find("\x1b[K"), std::string::npos) << output;
    EXPECT_EQ(output.find(" files"), std::string::npos) << output;
    for (std::size_t at = output.find('\r'); at != std::string::npos;
         at = output.find('\r', at + 1)) {
        EXPECT_EQ(output.substr(at, 2), "\r\n") << output;
    }
}

TEST_F(ProgressOnTerminal, NoProgressDrawsNoBar) {
    const PtyRun run =
        run_on_pty({list(), "-j", "4", "--retries", "0", "--no-progress", "-o", out()}, temp.path(),
                   k_columns);
    ASSERT_EQ(run.status, test::exited_with(1)) << run.output;

    expect_no_bar(run.output);
    EXPECT_NE(run.output.find("40 ok, 1 failed"), std::string::npos) << run.output;
}

TEST_F(ProgressOnTerminal, QuietDrawsNoBarAndPrintsOnlyErrors) {
    const PtyRun run = run_on_pty({list(), "-j", "4", "--retries", "0", "-q", "-o", out()},
                                  temp.path(), k_columns);
    ASSERT_EQ(run.status, test::exited_with(1)) << run.output;

    expect_no_bar(run.output);
    const std::vector<std::string> lines = Screen(run.output, k_columns).lines();
    ASSERT_EQ(lines.size(), 1U) << joined(lines);
    EXPECT_NE(lines[0].find("/missing.png: HTTP 404"), std::string::npos) << lines[0];
}

TEST_F(ProgressOnTerminal, StderrThatIsNotATerminalGetsNoBarNorEscapes) {
    const auto result =
        test::run_imgfetch({list(), "-j", "4", "--retries", "0", "-o", out()}, temp.path());

    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(result.err.find('\r'), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find('\x1b'), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find(" files"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("imgfetch: info: 40 ok, 1 failed"), std::string::npos) << result.err;
}

} // namespace
} // namespace imgfetch
