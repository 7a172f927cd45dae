#include "imgfetch/files/stale_temporaries.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/files/temporary_name.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// The temporaries in DIR that `shard`'s run may remove (see the header).
std::vector<std::string> removable_names(const OutputDir& dir, const std::optional<Shard>& shard,
                                         bool keep_partials) {
    // A directory stream of its own: fdopendir takes over the descriptor it is given.
    const int fd = ::openat(dir.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* stream = fd < 0 ? nullptr : ::fdopendir(fd);
    if (stream == nullptr) {
        const int err = errno;
        if (fd >= 0) {
            ::close(fd);
        }
        throw std::system_error(err, std::generic_category(), "cannot list the directory");
    }
    const std::string own_tag = temporary_owner_tag(shard);
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(stream)) {
        const std::optional<std::string> owner = temporary_owner_of(entry->d_name);
        if ((owner && (!shard || *owner == own_tag)) ||
            (!shard && !keep_partials && is_resume_temporary_name(entry->d_name))) {
            names.emplace_back(entry->d_name);
        }
    }
    ::closedir(stream);
    return names;
}

} // namespace

std::size_t remove_stale_temporaries(const OutputDir& dir, const std::optional<Shard>& shard,
                                     bool keep_partials) {
    std::vector<std::string> names;
    try {
        names = removable_names(dir, shard, keep_partials);
    } catch (const std::system_error& e) {
        spdlog::warn("stale temporaries in '{}' not looked for: {}", printable(dir.path()),
                     e.what());
        return 0;
    }
    std::size_t removed = 0;
    for (const std::string& name : names) {
        struct stat info {};
        if (::fstatat(dir.fd(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(info.st_mode)) {
            continue; // gone meanwhile, or a symlink, directory, FIFO...: not ours
        }
        if (::unlinkat(dir.fd(), name.c_str(), 0) == 0) {
            ++removed;
        } else if (errno != ENOENT) {
            spdlog::warn("stale temporary '{}' not removed: {}", printable(dir.path_of(name)),
                         std::error_code(errno, std::generic_category()).message());
        }
    }
    if (removed > 0) {
        spdlog::info("removed {} stale temporary file{} left in '{}' by a run that did not finish",
                     removed, removed == 1 ? "" : "s", printable(dir.path()));
    }
    return removed;
}

} // namespace imgfetch
