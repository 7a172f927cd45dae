#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

class OutputDir;

// A file that appears under its final name only when complete. It is written as a
// temporary with a random name (".imgfetch-XXXXXXXXXXXXXXXX.part", temporary_name.hpp) created with
// O_EXCL|O_NOFOLLOW inside the output directory; commit() closes it (checked) and renames
// it over the final name with renameat(), which replaces a symlink rather than following it.
// Destroyed without a commit, it unlinks its temporary (unless kept: --resume). Owned by one
// thread at a time.
class AtomicFile {
public:
    // Creates the temporary. Throws std::system_error with the OS error.
    explicit AtomicFile(const OutputDir& dir);

    // --resume: the temporary under the stable name `name` in `dir` (resume_temporary_name()),
    // opened for reading and appending, or created empty: never through a symlink, only a regular
    // file of ours with no other link. It is locked (flock, exclusive) for this object's life and
    // checked, once locked, to be the file still under that name, so one transfer at a time in any
    // process owns it. Returns null when another transfer holds it. Throws std::system_error with
    // the OS error.
    static std::unique_ptr<AtomicFile> open_resumable(const OutputDir& dir, std::string name);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Appends all bytes. Throws std::system_error (e.g. ENOSPC, EFBIG).
    void write(const char* data, std::size_t size);

    // Sets the temporary's modification time (the access time is left alone). Call it after
    // the last write, which would move it again. Throws std::system_error.
    void set_modification_time(std::int64_t unix_seconds);

    // Sets an extended attribute on the temporary, so it appears with the file at commit().
    // Returns false when the filesystem does not support it (ENOTSUP/EOPNOTSUPP); throws
    // std::system_error for any other error.
    bool set_extended_attribute(const char* name, std::string_view value);

    // Closes (checked) and renames to `final_name`. Throws std::system_error; after a
    // failure the temporary is still removed by the destructor.
    void commit(const std::string& final_name);

    const std::string& temp_name() const { return m_temp_name; }

    // For a resumable temporary (open_resumable()): its size now; up to `size` bytes from
    // `offset` into `out`, returning how many (0 at its end); emptied to restart it; its
    // extended attribute `name` (nothing when absent or unsupported) and that attribute's
    // removal (absent is fine). Each throws std::system_error for any other OS error.
    std::uint64_t size() const;
    std::size_t read_at(std::uint64_t offset, char* out, std::size_t size) const;
    void truncate();
    std::optional<std::string> extended_attribute(const char* name) const;
    void remove_extended_attribute(const char* name);

    // Destroyed without a commit, the temporary stays under its name (a partial download for
    // --resume to continue) instead of being unlinked.
    void keep() { m_kept = true; }

private:
    AtomicFile(const OutputDir& dir, std::string name, int fd, int lock_fd);

    const OutputDir& m_dir;
    std::string m_temp_name;
    int m_fd = -1;
    // A resumable temporary's flock, on a duplicate of m_fd: closing m_fd (commit() closes
    // before its rename) keeps it until the name is renamed or unlinked.
    int m_lock_fd = -1;
    bool m_committed = false;
    bool m_kept = false;
};

// Replaces the file at `path` (any directory) with `content` as a whole: written to a
// temporary beside it ("<path>.<16 hex digits>.part", O_EXCL|O_NOFOLLOW, created with `mode`
// before the umask), closed (checked) and renamed over `path`. Readers see the old file or the
// new one, never a part; a failure leaves `path` as it was. Throws std::system_error.
void write_file_atomically(const std::string& path, std::string_view content, unsigned mode = 0666);

// The same for content too long to hold in memory: `produce` hands the content to the
// writer it gets, in pieces, in order. What `produce` throws is thrown on, the file left as it
// was. Throws std::system_error.
using ContentPieceWriter = std::function<void(std::string_view)>;
void write_file_atomically_in_pieces(const std::string& path,
                                     const std::function<void(const ContentPieceWriter&)>& produce,
                                     unsigned mode = 0666);

// Throws std::system_error now when write_file_atomically(path, ...) would surely fail later:
// `path` is a directory, or its directory does not take a new file (probed with a temporary
// that is removed again). Creates nothing that stays.
void check_file_writable_atomically(const std::string& path);

} // namespace imgfetch
