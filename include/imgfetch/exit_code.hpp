#pragma once

namespace imgfetch {

// The process exit codes: part of the command-line contract (see --help and README).
enum class ExitCode : int {
    ok = 0,          // every URL ended ok or duplicate
    some_failed = 1, // at least one URL (or list line) failed
    usage = 2,       // bad command line or unreadable list
};

inline int to_int(ExitCode code) {
    return static_cast<int>(code);
}

} // namespace imgfetch
