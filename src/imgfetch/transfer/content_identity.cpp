#include "imgfetch/transfer/content_identity.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <spdlog/spdlog.h>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/files/subdirectory.hpp"
#include "imgfetch/files/temporary_name.hpp"
#include "imgfetch/transfer/content_registry.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/placeholder_hashes.hpp"
#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/error_text.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// Why linking failed, for the debug log; the temporary link is removed again.
std::string link_failure(const OutputDir& dir, const std::string& temp, const std::string& what) {
    std::string text = what + ": " + error_text(errno);
    ::unlinkat(dir.fd(), temp.c_str(), 0);
    return text;
}

// `final_name` as a hard link to `earlier`, both in `dir`: linked under a temporary name of
// the run (so a killed run's leftover is cleaned up like any temporary), checked to be the
// regular file of `bytes` bytes, then renamed over `final_name` (replacing, never following, a
// symlink there). linkat without AT_SYMLINK_FOLLOW links a symlink itself, which the check
// refuses. Returns an error text, or empty on success.
std::string link_in_folders(const OutputDir& dir, const Subdirectory& from, const Subdirectory& to,
                            std::uint64_t bytes) {
    const std::string temp = temporary_name(random_hex16(), dir.temporary_tag());
    if (::linkat(from.fd(), from.leaf().c_str(), dir.fd(), temp.c_str(), 0) != 0) {
        return "link: " + error_text(errno);
    }
    struct stat info {};
    if (::fstatat(dir.fd(), temp.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        return link_failure(dir, temp, "stat");
    }
    if (!S_ISREG(info.st_mode) || static_cast<std::uint64_t>(info.st_size) != bytes) {
        errno = ESTALE;
        return link_failure(dir, temp, "the earlier file is no longer the same");
    }
    if (::renameat(dir.fd(), temp.c_str(), to.fd(), to.leaf().c_str()) != 0) {
        return link_failure(dir, temp, "rename");
    }
    return {};
}

// Names with folders: each side through its own folder fd, never through a symlink.
std::string link_to_earlier(const OutputDir& dir, const std::string& earlier,
                            const std::string& final_name, std::uint64_t bytes) {
    try {
        const Subdirectory from(dir.fd(), earlier, false);
        const Subdirectory to(dir.fd(), final_name, true);
        return link_in_folders(dir, from, to, bytes);
    } catch (const std::system_error& e) {
        return e.what();
    }
}

} // namespace

bool reject_placeholder(const DownloadContext& ctx, const std::optional<std::string>& digest,
                        TransferResult& result) {
    if (ctx.placeholders == nullptr || !digest || !ctx.placeholders->contains(*digest)) {
        return false;
    }
    result.status = Status::filtered;
    result.reason = "placeholder";
    result.sha256 = digest;
    return true;
}

void save_by_content(const DownloadContext& ctx, AtomicFile& file, const std::string& final_name,
                     const std::optional<std::string>& digest, std::uint64_t bytes,
                     TransferResult& result) {
    if (ctx.same_content == nullptr || !digest) {
        file.commit(final_name);
        return;
    }
    if (ctx.settings.dedupe == DedupeMode::link) {
        if (const std::optional<SavedFile> earlier = ctx.same_content->find(*digest)) {
            const std::string failure = link_to_earlier(ctx.dir, earlier->name, final_name, bytes);
            if (failure.empty()) {
                result.same_content_as = earlier->path;
                return; // the temporary goes with its owner
            }
            spdlog::debug("{}: not linked to {} ({}); saving a copy", printable(final_name),
                          printable(earlier->path), printable(failure));
        }
    }
    file.commit(final_name);
    if (const std::optional<SavedFile> earlier = ctx.same_content->add_or_find(
            *digest, SavedFile{final_name, ctx.dir.path_of(final_name)})) {
        result.same_content_as = earlier->path;
    }
}

} // namespace imgfetch
