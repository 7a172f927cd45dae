#include "imgfetch/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "imgfetch/output_dir.hpp"

namespace imgfetch {

DirLock::DirLock(const OutputDir& dir) {
    const std::string path = dir.path_of(k_file_name);
    // O_NOFOLLOW: a symlink planted at the lock's name is refused, not followed.
    m_fd = ::openat(dir.fd(), k_file_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (m_fd < 0) {
        throw SetupError("cannot open lock file '" + path + "': " + std::strerror(errno));
    }
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(m_fd);
        if (err == EWOULDBLOCK) {
            throw LockHeld("another imgfetch run is using '" + dir.path() + "' (lock '" + path +
                           "' is held)");
        }
        throw SetupError("cannot lock '" + path + "': " + std::strerror(err));
    }
}

DirLock::~DirLock() {
    ::close(m_fd); // releases the lock
}

} // namespace imgfetch
