#include "imgfetch/transfer/netrc_file.hpp"

#include <cstdlib>

#include "imgfetch/files/private_file.hpp"

namespace imgfetch {

std::filesystem::path netrc_path(const TransferOptions& settings) {
    if (!settings.netrc_file.empty()) {
        return settings.netrc_file;
    }
    if (!settings.netrc) {
        return {};
    }
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
        return {};
    }
    return std::filesystem::path(home) / ".netrc";
}

void warn_if_netrc_readable_by_others(const TransferOptions& settings) {
    if (const std::filesystem::path path = netrc_path(settings); !path.empty()) {
        warn_if_readable_by_others(path, "netrc file");
    }
}

} // namespace imgfetch
