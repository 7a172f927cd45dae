#include "imgfetch/transfer/filter_memory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/files/temporary_name.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/sha256_stream.hpp"
#include "imgfetch/util/error_text.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

constexpr std::size_t k_digest_size = 64;
constexpr std::size_t k_fingerprint_size = 16;

std::string sha256_of(std::string_view bytes) {
    Sha256Stream digest;
    digest.update(bytes.data(), bytes.size());
    return digest.hex_digest();
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) {
        out += (out.empty() ? "" : ",") + name;
    }
    return out;
}

std::string file_contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw SetupError("cannot read --reject-hash file '" + printable(path) +
                         "': " + error_text(errno));
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_memory_file(std::string_view name) {
    return name.starts_with(".imgfetch") && name.ends_with(FilterMemory::k_suffix);
}

// The names of every run's memory file in `dir`.
std::vector<std::string> memory_files(const OutputDir& dir) {
    const int fd = ::openat(dir.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* stream = fd < 0 ? nullptr : ::fdopendir(fd);
    if (stream == nullptr) {
        if (fd >= 0) {
            ::close(fd);
        }
        return {};
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(stream)) {
        if (is_memory_file(entry->d_name)) {
            names.emplace_back(entry->d_name);
        }
    }
    ::closedir(stream);
    return names;
}

std::string read_at(const OutputDir& dir, const std::string& name) {
    const int fd = ::openat(dir.fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return {};
    }
    std::string bytes;
    std::array<char, 64 * 1024> buffer{};
    for (ssize_t got = 0; (got = ::read(fd, buffer.data(), buffer.size())) > 0;) {
        bytes.append(buffer.data(), static_cast<std::size_t>(got));
    }
    ::close(fd);
    return bytes;
}

// A reason as one line of printable text.
std::string one_line(std::string_view reason) {
    std::string out(reason);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            c = ' ';
        }
    }
    return out.empty() ? "filtered" : out;
}

} // namespace

std::string filter_fingerprint(const TransferOptions& settings) {
    const ImageFilters& f = settings.filters;
    const bool any = f.min_width != 0 || f.min_height != 0 || f.min_pixels != 0 ||
                     f.max_pixels != 0 || f.min_size != 0 || !f.types.empty() ||
                     !f.reject_types.empty() || !settings.reject_hash_file.empty();
    if (!any) {
        return {};
    }
    std::ostringstream text;
    text << "v1 w" << f.min_width << " h" << f.min_height << " p" << f.min_pixels << " P"
         << f.max_pixels << " s" << f.min_size << " t" << joined(f.types) << " r"
         << joined(f.reject_types) << " x";
    if (!settings.reject_hash_file.empty()) {
        text << sha256_of(file_contents(settings.reject_hash_file));
    }
    return sha256_of(text.str()).substr(0, k_fingerprint_size);
}

FilterMemory::FilterMemory(const OutputDir& dir, const std::optional<Shard>& shard,
                           std::string fingerprint)
    : m_fingerprint(std::move(fingerprint)) {
    for (const std::string& name : memory_files(dir)) {
        std::istringstream lines(read_at(dir, name));
        for (std::string line; std::getline(lines, line);) {
            // "<64 hex> <16 hex> <reason>": anything else (a line cut by a crash) is ignored.
            if (line.size() > k_digest_size + k_fingerprint_size + 2 &&
                line[k_digest_size] == ' ' && line[k_digest_size + k_fingerprint_size + 1] == ' ' &&
                line.compare(k_digest_size + 1, k_fingerprint_size, m_fingerprint) == 0) {
                m_recalled[line.substr(0, k_digest_size)] =
                    line.substr(k_digest_size + k_fingerprint_size + 2);
            }
        }
    }
    const std::string own = ".imgfetch" + temporary_owner_tag(shard) + k_suffix;
    m_fd = ::openat(dir.fd(), own.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
                    0644);
    if (m_fd < 0) {
        throw SetupError("cannot open '" + printable(dir.path_of(own)) + "': " + error_text(errno));
    }
}

FilterMemory::~FilterMemory() {
    ::close(m_fd);
}

std::optional<std::string> FilterMemory::recall(const std::string& normalized_url) const {
    const auto found = m_recalled.find(sha256_of(normalized_url));
    if (found == m_recalled.end()) {
        return std::nullopt;
    }
    return found->second;
}

void FilterMemory::remember(const std::string& normalized_url, const std::string& reason) {
    const std::string line =
        sha256_of(normalized_url) + " " + m_fingerprint + " " + one_line(reason) + "\n";
    const std::lock_guard lock(m_mutex); // one writer at a time; guards m_write_failed
    if (::write(m_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) &&
        !m_write_failed) {
        m_write_failed = true;
        spdlog::warn("cannot record filtered URLs for the next run: {}", error_text(errno));
    }
}

} // namespace imgfetch
