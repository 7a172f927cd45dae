#include "imgfetch/ui/logging.hpp"

#include <spdlog/details/os.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "imgfetch/setup_error.hpp"
#include "imgfetch/ui/progress.hpp"

namespace imgfetch {

namespace {

// The console sink while a progress bar may be drawn. Formats and colours each message the
// way spdlog's stderr_color_sink does, then hands it to the StatusLine, which erases the bar,
// writes the message and redraws the bar in one write() under the lock the bar uses.
// base_sink's mutex serialises the formatter (it caches state); the StatusLine's is taken
// inside it, never the other way round.
class StatusLineSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit StatusLineSink(std::shared_ptr<StatusLine> line)
        : m_line(std::move(line)), m_colours(spdlog::details::os::is_color_terminal()) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        // Another sink's formatter may have set the range on this shared message.
        msg.color_range_start = 0;
        msg.color_range_end = 0;
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        const std::string_view text(formatted.data(), formatted.size());
        if (!m_colours || msg.color_range_end <= msg.color_range_start) {
            m_line->print(text);
            return;
        }
        // The codes of spdlog's ansicolor_sink, so the console looks the same with a bar.
        static constexpr std::array<std::string_view, 7> k_colours{
            "\033[37m",        "\033[36m",        "\033[32m", "\033[33m\033[1m",
            "\033[31m\033[1m", "\033[1m\033[41m", "\033[m"};
        std::string coloured(text.substr(0, msg.color_range_start));
        coloured += k_colours.at(static_cast<std::size_t>(msg.level));
        coloured += text.substr(msg.color_range_start, msg.color_range_end - msg.color_range_start);
        coloured += "\033[m";
        coloured += text.substr(msg.color_range_end);
        m_line->print(coloured);
    }
    void flush_() override {} // print() writes straight to the descriptor

private:
    std::shared_ptr<StatusLine> m_line;
    const bool m_colours;
};

} // namespace

std::shared_ptr<StatusLine> setup_logging(const LoggingOptions& logging) {
    // With a bar, the console goes through the StatusLine; without one, stderr is exactly what
    // spdlog's colour sink writes.
    std::shared_ptr<StatusLine> status_line;
    spdlog::sink_ptr console;
    if (progress_bar_wanted(logging, STDERR_FILENO)) {
        status_line = std::make_shared<StatusLine>(STDERR_FILENO);
        console = std::make_shared<StatusLineSink>(status_line);
    } else {
        console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    }
    console->set_pattern("imgfetch: %^%l%$: %v");
    if (logging.quiet) {
        console->set_level(spdlog::level::err);
    } else if (logging.verbose) {
        console->set_level(spdlog::level::debug);
    } else {
        console->set_level(spdlog::level::info);
    }
    std::vector<spdlog::sink_ptr> sinks{console};

    if (!logging.log_file.empty()) {
        try {
            auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(logging.log_file);
            file->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%t] %v");
            file->set_level(spdlog::level::debug);
            sinks.push_back(file);
        } catch (const spdlog::spdlog_ex& e) {
            throw SetupError("cannot open log file: " + std::string(e.what()));
        }
    }

    auto logger = std::make_shared<spdlog::logger>("imgfetch", sinks.begin(), sinks.end());
    // Each sink filters on its own level; the logger's is the lowest of them, so a line no
    // sink wants (a per-file debug line without -v or --log-file) is dropped before it is
    // formatted, and SPDLOG-level guards (should_log) on the hot path see it off.
    spdlog::level::level_enum lowest = spdlog::level::off;
    for (const auto& sink : sinks) {
        lowest = std::min(lowest, sink->level());
    }
    logger->set_level(lowest);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    return status_line;
}

} // namespace imgfetch
