#include "imgfetch/util/spill_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <utility>
#include <vector>

namespace imgfetch {

namespace {

std::system_error io_error(const char* what) {
    return std::system_error(errno, std::generic_category(), what);
}

} // namespace

SpillFile::~SpillFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

SpillFile::SpillFile(SpillFile&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

SpillFile& SpillFile::operator=(SpillFile&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

std::optional<SpillFile> SpillFile::create(const std::string& dir) {
    // O_TMPFILE: the file never has a name, so nothing is left behind, even by a crash.
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        // A file system without O_TMPFILE: a named file, unlinked at once.
        std::string path = dir + "/.imgfetch-spill-XXXXXX";
        fd = ::mkostemp(path.data(), O_CLOEXEC);
        if (fd >= 0) {
            ::unlink(path.c_str());
        }
    }
    if (fd < 0) {
        return std::nullopt;
    }
    return SpillFile(fd);
}

void SpillFile::read(std::uint64_t offset, void* data, std::size_t size) const {
    auto* bytes = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t got = ::pread(m_fd, bytes, size, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            if (got == 0) {
                errno = EIO; // the file is shorter than what we wrote: never expected
            }
            throw io_error("reading imgfetch's temporary file");
        }
        bytes += got;
        size -= static_cast<std::size_t>(got);
        offset += static_cast<std::uint64_t>(got);
    }
}

bool SpillFile::write(std::uint64_t offset, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t put = ::pwrite(m_fd, bytes, size, static_cast<off_t>(offset));
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put <= 0) {
            return false;
        }
        bytes += put;
        size -= static_cast<std::size_t>(put);
        offset += static_cast<std::uint64_t>(put);
    }
    return true;
}

bool SpillFile::allocate(std::uint64_t size) {
    // Zeros really written, not posix_fallocate(): on ext4 every first write into a
    // fallocated (unwritten) extent costs a journalled conversion, and the index is written
    // at random, a slot at a time. Sequential zeros cost one pass.
    const std::vector<char> zeros(std::size_t{64} << 10);
    for (std::uint64_t offset = 0; offset < size; offset += zeros.size()) {
        const std::size_t chunk =
            static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - offset));
        if (!write(offset, zeros.data(), chunk)) {
            return false;
        }
    }
    return true;
}

bool SpillFile::resize(std::uint64_t size) {
    return ::ftruncate(m_fd, static_cast<off_t>(size)) == 0;
}

std::string default_spill_dir() {
    const char* dir = std::getenv("TMPDIR");
    return dir != nullptr && *dir != '\0' ? std::string(dir) : std::string("/tmp");
}

} // namespace imgfetch
