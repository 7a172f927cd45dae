#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch::test {

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
