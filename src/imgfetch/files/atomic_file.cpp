#include "imgfetch/files/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string_view>
#include <system_error>
#include <utility>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/files/subdirectory.hpp"
#include "imgfetch/files/temporary_name.hpp"

namespace imgfetch {

namespace {

constexpr int k_create_attempts = 16;

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

} // namespace

AtomicFile::AtomicFile(const OutputDir& dir) : m_dir(dir) {
    for (int attempt = 0; attempt < k_create_attempts; ++attempt) {
        m_temp_name = temporary_name(random_hex16(), m_dir.temporary_tag());
        // O_EXCL|O_NOFOLLOW: never reuse or follow anything already there. Mode 0666 so the
        // final file gets 0666 & ~umask like any file a tool creates.
        m_fd = ::openat(m_dir.fd(), m_temp_name.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (m_fd >= 0) {
            return;
        }
        if (errno != EEXIST) {
            throw_errno("cannot create temporary file in '" + m_dir.path() + "'");
        }
    }
    throw std::system_error(EEXIST, std::generic_category(), "cannot create temporary file");
}

AtomicFile::AtomicFile(const OutputDir& dir, std::string name, int fd, int lock_fd)
    : m_dir(dir), m_temp_name(std::move(name)), m_fd(fd), m_lock_fd(lock_fd) {}

AtomicFile::~AtomicFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    if (!m_committed && !m_kept) {
        // Only the temporary this object created (or, resumable, holds locked) is unlinked.
        ::unlinkat(m_dir.fd(), m_temp_name.c_str(), 0);
    }
    // A resumable temporary's lock goes last: the name is gone (or kept) before another
    // transfer can take it.
    if (m_lock_fd >= 0) {
        ::close(m_lock_fd);
    }
}

void AtomicFile::write(const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(m_fd, data, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_errno("write failed");
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

void AtomicFile::set_modification_time(std::int64_t unix_seconds) {
    const std::array<timespec, 2> times{timespec{0, UTIME_OMIT},
                                        timespec{static_cast<time_t>(unix_seconds), 0}};
    if (::futimens(m_fd, times.data()) != 0) {
        throw_errno("cannot set the modification time");
    }
}

bool AtomicFile::set_extended_attribute(const char* name, std::string_view value) {
    if (::fsetxattr(m_fd, name, value.data(), value.size(), 0) == 0) {
        return true;
    }
    if (errno == ENOTSUP || errno == EOPNOTSUPP) {
        return false;
    }
    throw_errno(std::string("cannot set extended attribute ") + name);
}

void AtomicFile::commit(const std::string& final_name) {
    const int fd = m_fd;
    m_fd = -1;
    // A failed close can mean lost data (NFS, quotas): it is an error, not a detail.
    if (::close(fd) != 0) {
        throw_errno("close failed");
    }
    // A name with folders ("host/a/img.jpg") goes into its leaf directory's fd, walked and
    // created without following a symlink; the temporary stays in DIR (same filesystem).
    const Subdirectory leaf_dir(m_dir.fd(), final_name, true);
    if (::renameat(m_dir.fd(), m_temp_name.c_str(), leaf_dir.fd(), leaf_dir.leaf().c_str()) != 0) {
        throw_errno("cannot rename to '" + final_name + "'");
    }
    m_committed = true;
    if (m_lock_fd >= 0) { // renamed: another transfer may now create the name afresh
        ::close(m_lock_fd);
        m_lock_fd = -1;
    }
}

namespace {

// Creates "<path>.<random>.part" exclusively and returns its fd; `temp` receives its name.
int create_temp_beside(const std::string& path, unsigned mode, std::string& temp) {
    for (int attempt = 0; attempt < k_create_attempts; ++attempt) {
        temp = path + "." + random_hex16() + ".part";
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                              static_cast<mode_t>(mode));
        if (fd >= 0) {
            return fd;
        }
        if (errno != EEXIST) {
            throw_errno("cannot create a temporary file beside it");
        }
    }
    throw std::system_error(EEXIST, std::generic_category(),
                            "cannot create a temporary file beside it");
}

// Closes `fd`, unlinks `temp` and throws `error`: errno is saved before the cleanup runs.
[[noreturn]] void discard_temp(int fd, const std::string& temp, int error, const char* what) {
    if (fd >= 0) {
        ::close(fd);
    }
    ::unlink(temp.c_str());
    throw std::system_error(error, std::generic_category(), what);
}

} // namespace

void write_file_atomically(const std::string& path, std::string_view content, unsigned mode) {
    std::string temp;
    const int fd = create_temp_beside(path, mode, temp);
    const char* data = content.data();
    std::size_t size = content.size();
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            discard_temp(fd, temp, errno, "write failed");
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    // A failed close can mean lost data (NFS, quotas): the old file stays then.
    if (::close(fd) != 0) {
        discard_temp(-1, temp, errno, "close failed");
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        discard_temp(-1, temp, errno, "cannot rename the temporary file over it");
    }
}

void write_file_atomically_in_pieces(const std::string& path,
                                     const std::function<void(const ContentPieceWriter&)>& produce,
                                     unsigned mode) {
    std::string temp;
    const int fd = create_temp_beside(path, mode, temp);
    try {
        produce([fd](std::string_view piece) {
            while (!piece.empty()) {
                const ssize_t n = ::write(fd, piece.data(), piece.size());
                if (n < 0) {
                    if (errno == EINTR) {
                        continue;
                    }
                    throw_errno("write failed");
                }
                piece.remove_prefix(static_cast<std::size_t>(n));
            }
        });
    } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        discard_temp(-1, temp, errno, "close failed");
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        discard_temp(-1, temp, errno, "cannot rename the temporary file over it");
    }
}

void check_file_writable_atomically(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
        throw std::system_error(EISDIR, std::generic_category());
    }
    std::string temp;
    const int fd = create_temp_beside(path, 0600, temp);
    ::close(fd);
    ::unlink(temp.c_str());
}

} // namespace imgfetch
