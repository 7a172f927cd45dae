// AtomicFile's --resume half: a temporary under a stable name that a later attempt or run
// continues (atomic_file.hpp has the contract).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/files/output_dir.hpp"

namespace imgfetch {

namespace {

// Bounds the attribute read: a resume validator is an ETag or a date (existing_file.hpp).
constexpr std::size_t k_max_attribute_bytes = 4096;

[[noreturn]] void throw_errno(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

// True when `fd` is still the file named `name` in `dir_fd`: another transfer that owned it
// may have removed (or committed) that name between our open and our lock.
bool still_named(int dir_fd, const std::string& name, int fd) {
    struct stat opened {};
    struct stat named {};
    return ::fstat(fd, &opened) == 0 &&
           ::fstatat(dir_fd, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
           opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

} // namespace

std::unique_ptr<AtomicFile> AtomicFile::open_resumable(const OutputDir& dir, std::string name) {
    // Twice at most: once more when the name changed hands between the open and the lock.
    for (int attempt = 0; attempt < 2; ++attempt) {
        // O_NOFOLLOW: a symlink planted under the name fails (ELOOP); O_NONBLOCK: a FIFO
        // there never blocks the open, and is refused below.
        const int fd =
            ::openat(dir.fd(), name.c_str(),
                     O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
        if (fd < 0) {
            throw_errno(errno, "cannot open the resumable temporary in '" + dir.path() + "'");
        }
        struct stat info {};
        // A hard link planted under the name would have us write into another file.
        if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_nlink != 1 ||
            info.st_uid != ::geteuid()) {
            ::close(fd);
            throw_errno(EEXIST, "the resumable temporary's name is taken by something else");
        }
        // O_NONBLOCK mattered for the open only; regular files ignore it.
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            ::close(fd);
            if (error == EWOULDBLOCK) {
                return nullptr; // another transfer (here or in another run) continues it
            }
            throw_errno(error, "cannot lock the resumable temporary");
        }
        if (still_named(dir.fd(), name, fd)) {
            // The lock belongs to the open file description: a duplicate keeps it.
            const int lock_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
            if (lock_fd < 0) {
                const int error = errno;
                ::close(fd);
                throw_errno(error, "cannot lock the resumable temporary");
            }
            return std::unique_ptr<AtomicFile>(new AtomicFile(dir, std::move(name), fd, lock_fd));
        }
        ::close(fd);
    }
    return nullptr; // it keeps changing hands: this transfer goes without
}

std::uint64_t AtomicFile::size() const {
    struct stat info {};
    if (::fstat(m_fd, &info) != 0) {
        throw_errno(errno, "cannot read the temporary's size");
    }
    return static_cast<std::uint64_t>(info.st_size);
}

std::size_t AtomicFile::read_at(std::uint64_t offset, char* out, std::size_t size) const {
    for (;;) {
        const ssize_t n = ::pread(m_fd, out, size, static_cast<off_t>(offset));
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            throw_errno(errno, "cannot read the partial download");
        }
    }
}

void AtomicFile::truncate() {
    if (::ftruncate(m_fd, 0) != 0) {
        throw_errno(errno, "cannot empty the partial download");
    }
}

std::optional<std::string> AtomicFile::extended_attribute(const char* name) const {
    std::string value(k_max_attribute_bytes, '\0');
    const ssize_t n = ::fgetxattr(m_fd, name, value.data(), value.size());
    if (n < 0) {
        if (errno == ENODATA || errno == ENOTSUP || errno == EOPNOTSUPP || errno == ERANGE) {
            return std::nullopt; // none, none possible here, or not one of ours
        }
        throw_errno(errno, std::string("cannot read extended attribute ") + name);
    }
    value.resize(static_cast<std::size_t>(n));
    return value;
}

void AtomicFile::remove_extended_attribute(const char* name) {
    if (::fremovexattr(m_fd, name) != 0 && errno != ENODATA && errno != ENOTSUP &&
        errno != EOPNOTSUPP) {
        throw_errno(errno, std::string("cannot remove extended attribute ") + name);
    }
}

} // namespace imgfetch
