#pragma once

#include <string>

namespace imgfetch {

// The output directory, created with its parents and held open as a directory fd so every
// file operation is relative to it (openat/renameat): nothing is written outside it even if
// the path is renamed meanwhile. Immutable after construction: thread-safe to share.
class OutputDir {
public:
    // Throws SetupError when the directory cannot be created, opened or written.
    explicit OutputDir(std::string path);
    ~OutputDir();
    OutputDir(const OutputDir&) = delete;
    OutputDir& operator=(const OutputDir&) = delete;

    int fd() const { return m_fd; }
    const std::string& path() const { return m_path; }
    // The user-facing path of a file in this directory: DIR joined with the name.
    std::string path_of(const std::string& file_name) const;

private:
    std::string m_path;
    int m_fd = -1;
};

} // namespace imgfetch
