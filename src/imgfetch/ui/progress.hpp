#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "imgfetch/cli/options.hpp"

namespace imgfetch {

// The live counters of a run, read by the progress bar. Lock-free: every member is an atomic
// updated with relaxed ordering, because the bar only needs each number eventually, never
// two numbers consistent with each other. Reached through DownloadContext::progress, which is
// null (and then costs one pointer check) when no bar is drawn.
//
// A "task" here is every result a list line gives: a download, and also a duplicate or a bad
// line, which are done the moment they are read. So the bar's total is the summary's.
struct ProgressCounters {
    static constexpr std::uint64_t k_not_counted = UINT64_MAX;

    std::atomic<std::uint64_t> total{0};  // tasks read from the lists so far
    std::atomic<bool> total_final{false}; // the whole list has been read
    std::atomic<std::uint64_t> done{0};   // tasks done: downloaded, or reported at once
    std::atomic<std::uint64_t> bytes{0};  // body bytes received, every attempt included
    std::atomic<std::uint32_t> active{0}; // transfers in flight (inside libcurl)
    // The tasks the lists hold, counted ahead by a ListTotal while they are still being read;
    // k_not_counted until then, and for lists that cannot be read twice (pipes, FIFOs).
    std::atomic<std::uint64_t> counted{k_not_counted};

    void add_task() { total.fetch_add(1, std::memory_order_relaxed); }
    void list_complete() { total_final.store(true, std::memory_order_relaxed); }
    void publish_count(std::uint64_t n) { counted.store(n, std::memory_order_relaxed); }
    void add_done() { done.fetch_add(1, std::memory_order_relaxed); }
    void add_bytes(std::uint64_t n) { bytes.fetch_add(n, std::memory_order_relaxed); }
};

// The pipeline's hooks; each does nothing for a null `counters` (no bar is drawn).
inline void progress_task_added(ProgressCounters* counters) {
    if (counters != nullptr) {
        counters->add_task();
    }
}
inline void progress_task_done(ProgressCounters* counters) {
    if (counters != nullptr) {
        counters->add_done();
    }
}
inline void progress_list_read(ProgressCounters* counters) {
    if (counters != nullptr) {
        counters->list_complete();
    }
}

// Counts one transfer in flight for its lifetime; does nothing for a null `counters`.
class ActiveTransfer {
public:
    explicit ActiveTransfer(ProgressCounters* counters) : m_counters(counters) {
        if (m_counters != nullptr) {
            m_counters->active.fetch_add(1, std::memory_order_relaxed);
        }
    }
    ~ActiveTransfer() {
        if (m_counters != nullptr) {
            m_counters->active.fetch_sub(1, std::memory_order_relaxed);
        }
    }
    ActiveTransfer(const ActiveTransfer&) = delete;
    ActiveTransfer& operator=(const ActiveTransfer&) = delete;

private:
    ProgressCounters* m_counters;
};

// One moment of a run, as the bar shows it.
struct ProgressSnapshot {
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    bool total_final = false;
    std::uint64_t bytes = 0;
    std::uint32_t active = 0;
    std::optional<double> rate_bps; // bytes per second lately; nothing until measured
    std::optional<double> eta_s;    // nothing while the total still grows
};

// The total the bar shows, and whether it is final or still growing ("12/40+ files").
struct ProgressTotal {
    std::uint64_t total = 0;
    bool final = false;
};

// Pure: from the counters' values (`counted` may be k_not_counted). Once the lists are read,
// the tasks read are the total. Before that, a count made ahead is the total, unless more
// tasks than it have been read already (a list that grew meanwhile): then it is growing
// again. Never less than `done`.
ProgressTotal progress_total(std::uint64_t done, std::uint64_t read, bool all_read,
                             std::uint64_t counted);

// Pure: "0 B", "999 B", "1.0 KiB", "12.3 MiB", "1.5 GiB".
std::string format_bytes(std::uint64_t bytes);

// Pure: "0:07", "12:34", "1:02:03" (seconds rounded up, so 0:00 only when nothing is left).
std::string format_duration(double seconds);

// Pure: the seconds left at the average pace so far; nothing while the total still grows or
// before the first task is done.
std::optional<double> estimate_eta(std::uint64_t done, std::uint64_t total, bool total_final,
                                   double elapsed_s);

// Pure: the bar's text for a terminal `width` columns wide, e.g.
//   "[#######.......]  12/30 files  3.4 MiB  1.1 MiB/s  4 active  ETA 0:07"
//   "12/40+ files  3.4 MiB  1.1 MiB/s  4 active"  (the list is still being read, uncounted)
// Always shorter than `width` (the last column is never written, so the terminal never wraps);
// the least useful parts go first when it is narrow: the graph, then active, bytes, rate, ETA.
// Plain ASCII, no escape sequences.
std::string format_progress_line(const ProgressSnapshot& snapshot, std::size_t width);

// The transfer rate over the last few seconds, from samples of a growing byte count.
// Pure apart from its own state; used by one thread.
class RateMeter {
public:
    using Clock = std::chrono::steady_clock;
    explicit RateMeter(std::chrono::milliseconds window = std::chrono::milliseconds(3000))
        : m_window(window) {}

    void add(Clock::time_point at, std::uint64_t bytes);
    // Nothing until the samples span a fifth of a second.
    std::optional<double> bytes_per_second() const;

private:
    std::chrono::milliseconds m_window;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> m_samples; // oldest first
};

// Whether a run with `options` draws a progress bar on `fd`: it is a terminal, and neither
// --no-progress nor -q was given.
bool progress_bar_wanted(const LoggingOptions& logging, int fd);

// The bottom line of a terminal, kept below the log output: the progress bar draws it, the
// console log sink prints above it. Thread-safe: m_mutex guards m_line, m_shown and every
// write to the descriptor, so a log line and a redraw never interleave.
class StatusLine {
public:
    explicit StatusLine(int fd) : m_fd(fd) {}
    StatusLine(const StatusLine&) = delete;
    StatusLine& operator=(const StatusLine&) = delete;

    // The terminal's width (TIOCGWINSZ), 80 when it cannot be read.
    std::size_t columns() const;

    // Replaces the line in place: one write() of "\r" + line + "\x1b[K". Skips an unchanged line.
    void show(std::string line);

    // Erases the line; prints after it go to a clean line.
    void clear();

    // Writes `text` (whole lines, each ending in '\n') above the line: one write() that erases
    // the line, writes the text and draws the line again below it.
    void print(std::string_view text);

private:
    void write_all(std::string_view bytes); // m_mutex held

    const int m_fd;
    std::mutex m_mutex;   // guards m_line, m_shown and the writes to m_fd
    std::string m_line;   // what show() drew last
    bool m_shown = false; // is m_line on the screen?
};

// The live progress bar: one thread redraws `counters` on `line` about seven times a second
// until destruction, which stops and joins that thread and erases the bar. The counters and
// the line must outlive the bar.
class ProgressBar {
public:
    static constexpr std::chrono::milliseconds k_interval{150};

    ProgressBar(StatusLine& line, const ProgressCounters& counters,
                std::chrono::milliseconds interval = k_interval);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

private:
    void run(const std::stop_token& stop);
    void redraw(); // drawing thread only

    StatusLine& m_line;
    const ProgressCounters& m_counters;
    const std::chrono::milliseconds m_interval;
    const RateMeter::Clock::time_point m_start = RateMeter::Clock::now();
    RateMeter m_rate; // drawing thread only

    // Only for the timed wait between redraws: the wait ends early on a stop request.
    std::mutex m_wait_mutex;
    std::condition_variable_any m_wake;

    std::jthread m_thread; // last: starts once everything it uses exists
};

} // namespace imgfetch
