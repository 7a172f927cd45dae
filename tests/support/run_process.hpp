#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

// The real imgfetch executable as a child process: its command line, started without waiting
// (start_imgfetch) or run to its end with its output captured (run_imgfetch). Every process
// is a ChildProcess (child_process.hpp).

namespace imgfetch::test {

// The command line of the real imgfetch executable with `args`.
inline std::vector<std::string> imgfetch_argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv{IMGFETCH_EXE};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// Starts the real imgfetch executable with `args`, without waiting for it.
inline ChildProcess start_imgfetch(const std::vector<std::string>& args, ChildProcess::Io io) {
    return ChildProcess(imgfetch_argv(args), std::move(io));
}

// The command line that runs imgfetch through `/bin/sh -c 'SETUP && exec imgfetch ARGS'`, for
// shell-only set-up such as `ulimit -f N`. The arguments reach imgfetch as they are, via "$@".
inline std::vector<std::string> imgfetch_argv_after(const std::string& shell_setup,
                                                    const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/bin/sh", "-c", shell_setup + " && exec \"$0\" \"$@\"",
                                  IMGFETCH_EXE};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

struct ProcessResult {
    int exit_code = -1; // 128 + N when signal N killed it
    std::string out;
    std::string err;
};

// Runs the real imgfetch executable with `args`, stdin from `stdin_path` (or /dev/null) and
// `setup` (environment changes for it alone, say), and captures its exit code, stdout and
// stderr (through files in `scratch`). A run still going after four minutes is killed and
// reported as an exception: a hang, not a result.
inline ProcessResult run_imgfetch(const std::vector<std::string>& args,
                                  const std::filesystem::path& scratch,
                                  const std::string& stdin_path = "/dev/null",
                                  const ChildProcess::Setup& setup = {}) {
    ChildProcess child(imgfetch_argv(args),
                       {stdin_path, scratch / "stdout.txt", scratch / "stderr.txt"}, setup);
    const std::optional<ExitStatus> status = child.wait_for_exit(std::chrono::minutes(4));
    if (!status) {
        child.kill_and_wait();
        throw std::runtime_error("imgfetch did not exit within 4 minutes:\n" + child.err());
    }
    ProcessResult result;
    result.exit_code = status->signal != 0 ? 128 + status->signal : status->code;
    result.out = child.out();
    result.err = child.err();
    return result;
}

} // namespace imgfetch::test
