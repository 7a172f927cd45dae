#pragma once

#include <string>

#include "imgfetch/setup_error.hpp"

namespace imgfetch {

class OutputDir;

// Another run holds the output directory's lock (exit code 3).
class LockHeld : public SetupError {
public:
    using SetupError::SetupError;
};

// One run per output directory: an exclusive flock() on DIR/.imgfetch.lock, held for the
// object's lifetime. The kernel drops the lock when the process dies, so a crashed run never
// leaves a stale lock behind; the (empty) lock file itself stays and is reused.
class DirLock {
public:
    static constexpr const char* k_file_name = ".imgfetch.lock";

    // Throws LockHeld when another process holds the lock, SetupError on other failures.
    explicit DirLock(const OutputDir& dir);
    ~DirLock();
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

private:
    int m_fd = -1;
};

} // namespace imgfetch
