#include "imgfetch/files/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/util/error_text.hpp"

namespace imgfetch {

namespace {

// Opens DIR/name and flock()s it with `operation` (LOCK_SH or LOCK_EX), without waiting.
// Returns the descriptor, which holds the lock until closed. Throws LockHeld with
// `held_message` when a conflicting lock is held.
int open_and_lock(const OutputDir& dir, const std::string& name, int operation,
                  const std::string& held_message) {
    const std::string path = dir.path_of(name);
    // O_NOFOLLOW: a symlink planted at the lock's name is refused, not followed.
    const int fd =
        ::openat(dir.fd(), name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        throw SetupError("cannot open lock file '" + path + "': " + error_text(errno));
    }
    if (::flock(fd, operation | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            throw LockHeld(held_message + " (lock '" + path + "' is held)");
        }
        throw SetupError("cannot lock '" + path + "': " + error_text(err));
    }
    return fd;
}

} // namespace

std::string DirLock::shard_file_name(const Shard& shard) {
    return ".imgfetch.shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) +
           ".lock";
}

DirLock::DirLock(const OutputDir& dir, const std::optional<Shard>& shard) {
    if (!shard) {
        m_fd =
            open_and_lock(dir, k_file_name, LOCK_EX,
                          "another imgfetch run (or a shard of one) is using '" + dir.path() + "'");
        return;
    }
    const std::string label = std::to_string(shard->index) + "/" + std::to_string(shard->count);
    // Shared first: it conflicts only with an unsharded run, whatever shards are running.
    m_fd = open_and_lock(dir, k_file_name, LOCK_SH,
                         "an unsharded imgfetch run is using '" + dir.path() + "'");
    try {
        m_shard_fd =
            open_and_lock(dir, shard_file_name(*shard), LOCK_EX,
                          "shard " + label + " is already running in '" + dir.path() + "'");
    } catch (...) {
        ::close(m_fd); // the destructor does not run for a constructor that throws
        throw;
    }
}

DirLock::~DirLock() {
    // Closing releases the locks.
    if (m_shard_fd >= 0) {
        ::close(m_shard_fd);
    }
    ::close(m_fd);
}

} // namespace imgfetch
