// imgfetch's entry point: parse -> logging -> libcurl -> interrupts -> run -> exit code.
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <optional>
#include <stop_token>

#include "imgfetch/app.hpp"
#include "imgfetch/cli/options.hpp"
#include "imgfetch/exit_code.hpp"
#include "imgfetch/files/dir_lock.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/ui/interrupt.hpp"
#include "imgfetch/ui/logging.hpp"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false); // lists may be long; stdin needs no C stdio sync
    // A peer closing a socket must fail that transfer, and a file-size limit must fail that
    // write (EFBIG), not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGXFSZ, SIG_IGN);

    const auto parsed = imgfetch::parse_command_line(argc, argv, ::isatty(STDIN_FILENO) == 1);
    if (!parsed.options) {
        return parsed.exit_code;
    }
    int code = 0;
    std::stop_source stop;
    std::optional<imgfetch::InterruptWatcher> interrupts;
    try {
        const auto console =
            imgfetch::setup_logging(parsed.options->logging); // null: no progress bar
        const imgfetch::CurlGlobal curl;                      // before any thread starts
        interrupts.emplace(stop);                             // before any other thread starts
        code = imgfetch::run(*parsed.options, stop.get_token(), console.get());
    } catch (const imgfetch::LockHeld& e) {
        std::cerr << "imgfetch: error: " << e.what() << '\n';
        code = imgfetch::to_int(imgfetch::ExitCode::locked);
    } catch (const imgfetch::SetupError& e) {
        std::cerr << "imgfetch: error: " << e.what() << '\n';
        code = imgfetch::to_int(imgfetch::ExitCode::usage);
    } catch (const std::exception& e) {
        std::cerr << "imgfetch: internal error: " << e.what() << '\n';
        code = imgfetch::to_int(imgfetch::ExitCode::some_failed);
    }
    // An interrupt decides the exit code whatever else happened.
    const int signal = interrupts ? interrupts->signal_received() : 0;
    return signal != 0 ? 128 + signal : code;
}
