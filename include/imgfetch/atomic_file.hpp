#pragma once

#include <cstddef>
#include <string>

namespace imgfetch {

class OutputDir;

// A file that appears under its final name only when complete. It is written as a
// temporary with a fixed-length random name (".imgfetch-XXXXXXXXXXXXXXXX.part") created with
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

} // namespace imgfetch
