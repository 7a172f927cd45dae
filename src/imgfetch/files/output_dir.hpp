#pragma once

#include <string>

namespace imgfetch {

// The output directory, created with its parents and held open as a directory fd so every
// file operation is relative to it (openat/renameat): nothing is written outside it even if
// the path is renamed meanwhile. Immutable after construction: thread-safe to share.
class OutputDir {
public:
    // Throws SetupError when the directory cannot be created, opened or written.
    // `temporary_tag` marks the download temporaries made in it as this run's
    // (temporary_owner_tag(): "" unsharded, ".shard-K-of-N" for a shard).
    explicit OutputDir(std::string path, std::string temporary_tag = "");
    ~OutputDir();
    OutputDir(const OutputDir&) = delete;
    OutputDir& operator=(const OutputDir&) = delete;

    int fd() const { return m_fd; }
    const std::string& path() const { return m_path; }
    const std::string& temporary_tag() const { return m_temporary_tag; }
    // The user-facing path of a file in this directory: DIR joined with the name.
    std::string path_of(const std::string& file_name) const;

private:
    std::string m_path;
    std::string m_temporary_tag;
    int m_fd = -1;
};

} // namespace imgfetch
