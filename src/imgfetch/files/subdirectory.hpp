#pragma once

#include <string>
#include <string_view>

namespace imgfetch {

// A directory below the output directory, opened one segment at a time with
// openat(O_DIRECTORY|O_NOFOLLOW): a symlink anywhere on the way is refused, never followed,
// so nothing is ever reached outside the base directory. Owns its fd (or borrows the base's
// for a name without '/'). Owned by one thread at a time; the base fd must outlive it.
class Subdirectory {
public:
    // Opens the directories of `relative_name` ("a/b/c.jpg" -> "a/b") under `base_fd`,
    // creating missing ones (mode 0777 before the umask) when `create`. The name's segments
    // must already be sanitized (list/name_template.hpp): "", "." and ".." are refused.
    // Throws std::system_error: ELOOP/ENOTDIR when a segment is a symlink or not a directory,
    // ENOENT when one is missing and !create.
    Subdirectory(int base_fd, std::string_view relative_name, bool create);
    ~Subdirectory();
    Subdirectory(const Subdirectory&) = delete;
    Subdirectory& operator=(const Subdirectory&) = delete;

    // The directory that holds the name's last segment.
    int fd() const { return m_fd; }
    // The name's last segment ("c.jpg"), relative to fd().
    const std::string& leaf() const { return m_leaf; }

private:
    int m_fd = -1;
    bool m_owned = false; // false: m_fd is the base's, not closed here
    std::string m_leaf;
};

// True when `relative_name` has a directory part (holds a '/').
inline bool has_subdirectory(std::string_view relative_name) {
    return relative_name.find('/') != std::string_view::npos;
}

} // namespace imgfetch
