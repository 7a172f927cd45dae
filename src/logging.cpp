#include "imgfetch/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

#include "imgfetch/setup_error.hpp"

namespace imgfetch {

void setup_logging(const Options& options) {
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_pattern("imgfetch: %^%l%$: %v");
    if (options.quiet) {
        console->set_level(spdlog::level::err);
    } else if (options.verbose) {
        console->set_level(spdlog::level::debug);
    } else {
        console->set_level(spdlog::level::info);
    }
    std::vector<spdlog::sink_ptr> sinks{console};

    if (!options.log_file.empty()) {
        try {
            auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.log_file);
            file->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%t] %v");
            file->set_level(spdlog::level::debug);
            sinks.push_back(file);
        } catch (const spdlog::spdlog_ex& e) {
            throw SetupError("cannot open log file: " + std::string(e.what()));
        }
    }

    auto logger = std::make_shared<spdlog::logger>("imgfetch", sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::debug); // each sink filters on its own level
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

} // namespace imgfetch
