#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace imgfetch {

class OutputDir;

// A file that appears under its final name only when complete. It is written as a
// temporary with a random name (".imgfetch-XXXXXXXXXXXXXXXX.part", temporary_name.hpp) created with
// O_EXCL|O_NOFOLLOW inside the output directory; commit() closes it (checked) and renames
// it over the final name with renameat(), which replaces a symlink rather than following it.
// Destroyed without a commit, it unlinks its temporary. Owned by one thread at a time.
class AtomicFile {
public:
    // Creates the temporary. Throws std::system_error with the OS error.
    explicit AtomicFile(const OutputDir& dir);
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

private:
    const OutputDir& m_dir;
    std::string m_temp_name;
    int m_fd = -1;
    bool m_committed = false;
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
