#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace imgfetch {

// An unnamed temporary file (O_TMPFILE, or created and unlinked at once): nothing to clean
// up, even after a crash. Its pages live in the page cache, not in the process's RSS.
// Not thread-safe.
class SpillFile {
public:
    SpillFile() = default;
    ~SpillFile();
    SpillFile(const SpillFile&) = delete;
    SpillFile& operator=(const SpillFile&) = delete;
    SpillFile(SpillFile&& other) noexcept;
    SpillFile& operator=(SpillFile&& other) noexcept;

    // A new empty file in `dir`; nothing (errno set) when none can be made there.
    static std::optional<SpillFile> create(const std::string& dir);

    // Throws std::system_error on an I/O error or a short read.
    void read(std::uint64_t offset, void* data, std::size_t size) const;
    // Returns false (errno set) when the data could not be written, e.g. the disk is full.
    bool write(std::uint64_t offset, const void* data, std::size_t size);
    // Reserves `size` bytes of zeros, so later writes below it cannot fail for want of space.
    bool allocate(std::uint64_t size);
    // Sets the file's size (ftruncate): growing adds a hole that reads as zeros and takes no
    // disk. Returns false (errno set) on failure.
    bool resize(std::uint64_t size);

private:
    explicit SpillFile(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

// The directory for spill files: $TMPDIR, else /tmp.
std::string default_spill_dir();

} // namespace imgfetch
