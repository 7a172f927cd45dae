#include "imgfetch/ui/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace imgfetch {

namespace {

constexpr std::size_t k_default_columns = 80;
constexpr std::size_t k_max_graph_width = 30; // inside the brackets
constexpr std::size_t k_min_graph_width = 8;
constexpr std::string_view k_separator = "  ";
constexpr std::string_view k_erase_to_end = "\x1b[K";

} // namespace

ProgressTotal progress_total(std::uint64_t done, std::uint64_t read, bool all_read,
                             std::uint64_t counted) {
    // A task is counted as read before it can be done; max() hides a torn pair of loads.
    if (all_read) {
        return {std::max(done, read), true};
    }
    if (counted != ProgressCounters::k_not_counted && counted >= read) {
        return {std::max(done, counted), true};
    }
    return {std::max(done, read), false};
}

std::string format_bytes(std::uint64_t bytes) {
    if (bytes < 1024) {
        return fmt::format("{} B", bytes);
    }
    constexpr std::array<std::string_view, 5> units{"KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    // 1023.96 KiB would print as "1024.0 KiB": move up once it rounds to 1024.
    while (value >= 1023.95 && unit + 1 < units.size()) {
        value /= 1024.0;
        ++unit;
    }
    return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string format_duration(double seconds) {
    const auto total =
        seconds > 0 ? static_cast<std::uint64_t>(std::ceil(seconds)) : std::uint64_t{0};
    const std::uint64_t hours = total / 3600;
    const std::uint64_t minutes = total / 60 % 60;
    const std::uint64_t secs = total % 60;
    if (hours > 0) {
        return fmt::format("{}:{:02}:{:02}", hours, minutes, secs);
    }
    return fmt::format("{}:{:02}", minutes, secs);
}

std::optional<double> estimate_eta(std::uint64_t done, std::uint64_t total, bool total_final,
                                   double elapsed_s) {
    if (!total_final || done == 0 || elapsed_s <= 0) {
        return std::nullopt;
    }
    if (done >= total) {
        return 0.0;
    }
    return elapsed_s * static_cast<double>(total - done) / static_cast<double>(done);
}

namespace {

// One field of the progress line.
struct Part {
    std::string text;
    int drop_order; // 0: never dropped; higher: dropped sooner
};

std::vector<Part> progress_parts(const ProgressSnapshot& snapshot) {
    std::vector<Part> parts;
    parts.push_back({fmt::format("{}/{}{} files", snapshot.done, snapshot.total,
                                 snapshot.total_final ? "" : "+"),
                     0});
    parts.push_back({format_bytes(snapshot.bytes), 3});
    if (snapshot.rate_bps) {
        const auto rate = static_cast<std::uint64_t>(std::max(0.0, *snapshot.rate_bps));
        parts.push_back({format_bytes(rate) + "/s", 2});
    }
    parts.push_back({fmt::format("{} active", snapshot.active), 4});
    if (snapshot.eta_s) {
        parts.push_back({"ETA " + format_duration(*snapshot.eta_s), 1});
    }
    return parts;
}

std::string joined(const std::vector<Part>& parts) {
    std::string text;
    for (const Part& part : parts) {
        if (!text.empty()) {
            text += k_separator;
        }
        text += part.text;
    }
    return text;
}

// The parts that fit in `room` columns, dropped in their order, the last one cut if need be.
std::string fitted(std::vector<Part> parts, std::size_t room) {
    std::string text = joined(parts);
    while (text.size() > room && parts.size() > 1) {
        const auto first_to_drop =
            std::max_element(parts.begin(), parts.end(), [](const Part& a, const Part& b) {
                return a.drop_order < b.drop_order;
            });
        parts.erase(first_to_drop);
        text = joined(parts);
    }
    if (text.size() > room) {
        text.resize(room);
    }
    return text;
}

// `text` behind a "[###---]" graph when one of a useful width fits in `room`.
std::string with_graph(std::string text, const ProgressSnapshot& snapshot, std::size_t room) {
    // The graph only once the total is known: against a growing total it would mislead.
    if (!snapshot.total_final || snapshot.total == 0 ||
        text.size() + k_separator.size() + 2 >= room) {
        return text;
    }
    const std::size_t inner =
        std::min(k_max_graph_width, room - text.size() - k_separator.size() - 2);
    if (inner < k_min_graph_width) {
        return text;
    }
    const std::uint64_t done = std::min(snapshot.done, snapshot.total);
    const auto filled = static_cast<std::size_t>(done * inner / snapshot.total);
    std::string graph;
    graph.reserve(inner + 2 + k_separator.size() + text.size());
    graph.push_back('[');
    graph.append(filled, '#');
    graph.append(inner - filled, '-');
    graph.push_back(']');
    graph.append(k_separator);
    graph.append(text);
    return graph;
}

} // namespace

std::string format_progress_line(const ProgressSnapshot& snapshot, std::size_t width) {
    // The last column stays empty: writing it leaves some terminals about to wrap.
    const std::size_t room = width > 0 ? width - 1 : 0;
    return with_graph(fitted(progress_parts(snapshot), room), snapshot, room);
}

void RateMeter::add(Clock::time_point at, std::uint64_t bytes) {
    m_samples.emplace_back(at, bytes);
    // Keep one sample at or before the window's start, so the window is always spanned.
    while (m_samples.size() > 2 && m_samples[1].first <= at - m_window) {
        m_samples.pop_front();
    }
}

std::optional<double> RateMeter::bytes_per_second() const {
    if (m_samples.size() < 2) {
        return std::nullopt;
    }
    const auto& [first_at, first_bytes] = m_samples.front();
    const auto& [last_at, last_bytes] = m_samples.back();
    const std::chrono::duration<double> span = last_at - first_at;
    if (span < std::chrono::milliseconds(200)) {
        return std::nullopt;
    }
    const std::uint64_t received = last_bytes >= first_bytes ? last_bytes - first_bytes : 0;
    return static_cast<double>(received) / span.count();
}

bool progress_bar_wanted(const LoggingOptions& logging, int fd) {
    if (!logging.progress || logging.quiet || ::isatty(fd) != 1) {
        return false;
    }
    // A dumb terminal (Emacs' shell, say) does not erase lines: "\x1b[K" would show as text.
    const char* term = std::getenv("TERM");
    return term == nullptr || std::string_view(term) != "dumb";
}

std::size_t StatusLine::columns() const {
    winsize size{};
    if (::ioctl(m_fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return size.ws_col;
    }
    return k_default_columns;
}

void StatusLine::show(std::string line) {
    const std::lock_guard lock(m_mutex); // the line and the write, against print()
    if (m_shown && line == m_line) {
        return;
    }
    m_line = std::move(line);
    write_all("\r" + m_line + std::string(k_erase_to_end));
    m_shown = true;
}

void StatusLine::clear() {
    const std::lock_guard lock(m_mutex); // the write, against print() and show()
    if (!m_shown) {
        return;
    }
    std::string erase(1, '\r');
    erase.append(k_erase_to_end);
    write_all(erase);
    m_shown = false;
    m_line.clear();
}

void StatusLine::print(std::string_view text) {
    const std::lock_guard lock(m_mutex); // erase, text and redraw form one uninterrupted write
    if (!m_shown) {
        write_all(text);
        return;
    }
    std::string bytes;
    bytes.reserve(text.size() + m_line.size() + 8);
    bytes += '\r';
    bytes += k_erase_to_end;
    bytes += text;
    bytes += m_line;
    bytes += k_erase_to_end;
    write_all(bytes);
}

void StatusLine::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(m_fd, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return; // the terminal is gone: nothing useful to do with the error
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

ProgressBar::ProgressBar(StatusLine& line, const ProgressCounters& counters,
                         std::chrono::milliseconds interval)
    : m_line(line), m_counters(counters), m_interval(interval),
      m_thread([this](const std::stop_token& stop) { run(stop); }) {}

ProgressBar::~ProgressBar() {
    m_thread.request_stop(); // wakes the timed wait at once (condition_variable_any + token)
    m_thread.join();
    m_line.clear(); // after the join: no redraw can follow the erase
}

void ProgressBar::run(const std::stop_token& stop) {
    for (;;) {
        {
            // The mutex guards nothing but the wait itself; the stop request ends it early.
            std::unique_lock lock(m_wait_mutex);
            m_wake.wait_for(lock, stop, m_interval, [] { return false; });
        }
        if (stop.stop_requested()) {
            return;
        }
        redraw();
    }
}

void ProgressBar::redraw() {
    const auto now = RateMeter::Clock::now();
    ProgressSnapshot snapshot;
    snapshot.done = m_counters.done.load(std::memory_order_relaxed);
    const ProgressTotal total =
        progress_total(snapshot.done, m_counters.total.load(std::memory_order_relaxed),
                       m_counters.total_final.load(std::memory_order_relaxed),
                       m_counters.counted.load(std::memory_order_relaxed));
    snapshot.total = total.total;
    snapshot.total_final = total.final;
    snapshot.bytes = m_counters.bytes.load(std::memory_order_relaxed);
    snapshot.active = m_counters.active.load(std::memory_order_relaxed);
    m_rate.add(now, snapshot.bytes);
    snapshot.rate_bps = m_rate.bytes_per_second();
    const std::chrono::duration<double> elapsed = now - m_start;
    snapshot.eta_s =
        estimate_eta(snapshot.done, snapshot.total, snapshot.total_final, elapsed.count());
    m_line.show(format_progress_line(snapshot, m_line.columns()));
}

} // namespace imgfetch
