#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace imgfetch::test {

// A fresh directory under $TMPDIR, removed with everything in it at scope end.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "imgfetch-test-XXXXXX");
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::permissions(m_path, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

inline void write_file(const std::filesystem::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Sorted names of the entries of a directory, except imgfetch's own records (lock files, which
// every run leaves, and the filter memory). Temporaries and anything else do show up.
inline std::vector<std::string> list_dir(const std::filesystem::path& dir) {
    // imgfetch's own records, never a download: the directory locks (".imgfetch.lock",
    // ".imgfetch.shard-K-of-N.lock") and the filter memory (".imgfetch[.shard-K-of-N].filtered").
    // Download temporaries (".imgfetch-<hex>.part") are listed: no test may leave one behind.
    const auto is_record = [](const std::string& name) {
        return name.starts_with(".imgfetch.") &&
               (name.ends_with(".lock") || name.ends_with(".filtered"));
    };
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!is_record(entry.path().filename().string())) {
            names.push_back(entry.path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace imgfetch::test
