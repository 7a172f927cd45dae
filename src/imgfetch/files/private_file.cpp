#include "imgfetch/files/private_file.hpp"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

namespace imgfetch {

bool readable_by_others(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return false;
    }
    return (info.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

void warn_if_readable_by_others(const std::filesystem::path& path, std::string_view what) {
    if (readable_by_others(path)) {
        spdlog::warn("{} '{}' can be read by other users (chmod 600 it): it holds secrets", what,
                     path.string());
    }
}

} // namespace imgfetch
