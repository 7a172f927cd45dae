#pragma once

#include <optional>
#include <string>

#include "imgfetch/list/shard.hpp"
#include "imgfetch/setup_error.hpp"

namespace imgfetch {

class OutputDir;

// Another run holds the output directory's lock (exit code 3).
class LockHeld : public SetupError {
public:
    using SetupError::SetupError;
};

// Who may share an output directory, with flock() on files in it, held for the object's
// lifetime:
//  - an unsharded run takes DIR/.imgfetch.lock exclusively: it runs alone;
//  - shard K of N takes DIR/.imgfetch.lock shared plus DIR/.imgfetch.shard-K-of-N.lock
//    exclusively: the N shards of a list may run at once in one directory (their names are
//    identical to an unsharded run's, and each writes only its own), the same shard twice may
//    not, and an unsharded run excludes them all (and they it).
// The kernel drops the locks when the process dies, so a crashed run never leaves a stale lock
// behind; the (empty) lock files themselves stay and are reused. Never waits for a lock.
class DirLock {
public:
    static constexpr const char* k_file_name = ".imgfetch.lock";

    // ".imgfetch.shard-K-of-N.lock".
    static std::string shard_file_name(const Shard& shard);

    // Throws LockHeld when another process holds a conflicting lock, SetupError on other
    // failures.
    explicit DirLock(const OutputDir& dir, const std::optional<Shard>& shard = std::nullopt);
    ~DirLock();
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

private:
    int m_fd = -1;       // .imgfetch.lock: exclusive, or shared when sharded
    int m_shard_fd = -1; // this shard's lock file, exclusive; -1 when unsharded
};

} // namespace imgfetch
