#pragma once

namespace imgfetch {

// The process exit codes: part of the command-line contract (see --help and README).
enum class ExitCode : int {
    ok = 0,          // every URL ended ok or duplicate
    some_failed = 1, // at least one URL (or list line) failed
    usage = 2,       // bad command line, unreadable list or unusable output directory
    locked = 3,      // another run holds the output directory's lock
    // Interrupted runs exit with 128 + the signal number: 130 (SIGINT), 143 (SIGTERM).
};

inline int to_int(ExitCode code) {
    return static_cast<int>(code);
}

} // namespace imgfetch
