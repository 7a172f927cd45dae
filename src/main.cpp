// imgfetch's entry point: parse -> logging -> libcurl global setup -> run -> exit code.
#include <unistd.h>

#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>

#include "imgfetch/app.hpp"
#include "imgfetch/curl_session.hpp"
#include "imgfetch/exit_code.hpp"
#include "imgfetch/logging.hpp"
#include "imgfetch/options.hpp"
#include "imgfetch/setup_error.hpp"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false); // lists may be long; stdin needs no C stdio sync
    // A peer closing a socket must be an error on that transfer, not the process's death.
    std::signal(SIGPIPE, SIG_IGN);

    const auto parsed = imgfetch::parse_command_line(argc, argv, ::isatty(STDIN_FILENO) == 1);
    if (!parsed.options) {
        return parsed.exit_code;
    }
    try {
        imgfetch::setup_logging(*parsed.options);
        const imgfetch::CurlGlobal curl; // before any thread starts
        return imgfetch::run(*parsed.options);
    } catch (const imgfetch::SetupError& e) {
        std::cerr << "imgfetch: error: " << e.what() << '\n';
        return imgfetch::to_int(imgfetch::ExitCode::usage);
    } catch (const std::exception& e) {
        std::cerr << "imgfetch: internal error: " << e.what() << '\n';
        return imgfetch::to_int(imgfetch::ExitCode::some_failed);
    }
}
