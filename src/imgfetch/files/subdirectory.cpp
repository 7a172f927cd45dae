#include "imgfetch/files/subdirectory.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace imgfetch {

namespace {

[[noreturn]] void refuse(int error, std::string_view dir, std::string_view segment) {
    std::string what = "cannot open directory '";
    what += dir;
    what += "'";
    if (error == ELOOP || error == ENOTDIR) {
        // O_NOFOLLOW reports a symlink as ELOOP (ENOTDIR with O_DIRECTORY on some kernels).
        what += " ('";
        what += segment;
        what += "' is a symlink or not a directory; refused)";
    }
    throw std::system_error(error, std::generic_category(), what);
}

// One step down: the child `segment` of `parent`, created first when asked. Another worker
// may create it between the two calls, so EEXIST is fine: the open checks what is there.
int open_child(int parent, const std::string& segment, bool create) {
    if (create && ::mkdirat(parent, segment.c_str(), 0777) != 0 && errno != EEXIST) {
        return -1;
    }
    return ::openat(parent, segment.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
}

} // namespace

Subdirectory::Subdirectory(int base_fd, std::string_view relative_name, bool create)
    : m_fd(base_fd) {
    const auto slash = relative_name.rfind('/');
    if (slash == std::string_view::npos) {
        m_leaf = relative_name;
        return;
    }
    m_leaf = relative_name.substr(slash + 1);
    const std::string_view dirs = relative_name.substr(0, slash);
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find('/', start), dirs.size());
        const std::string segment(dirs.substr(start, end - start));
        if (segment.empty() || segment == "." || segment == "..") {
            if (m_owned) {
                ::close(m_fd);
            }
            throw std::system_error(EINVAL, std::generic_category(),
                                    "refused directory '" + std::string(dirs) + "'");
        }
        const int child = open_child(m_fd, segment, create);
        const int error = errno;
        if (m_owned) {
            ::close(m_fd);
        }
        if (child < 0) {
            refuse(error, dirs.substr(0, end), segment);
        }
        m_fd = child;
        m_owned = true;
        start = end + 1;
    }
}

Subdirectory::~Subdirectory() {
    if (m_owned) {
        ::close(m_fd);
    }
}

} // namespace imgfetch
