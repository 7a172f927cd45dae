#include "imgfetch/transfer/existing_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <new>
#include <system_error>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/files/subdirectory.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// What content_check can choose (sniffed bytes or media type), most common first: a rerun
// that finds "photo.jpg" stops after one probe.
constexpr std::array<std::string_view, 12> k_appended_extensions = {
    "jpg", "png", "gif", "webp", "svg", "avif", "bmp", "ico", "tif", "heic", "heif", "jxl"};

// A regular file at `name`, not following a symlink (AT_SYMLINK_NOFOLLOW): a link planted at
// the target is not an earlier download, and the rename replaces the link, not its target.
// A name with folders is looked up through them without following a symlink (a missing or
// refused folder means no earlier download).
std::optional<ExistingFile> regular_file_at(const OutputDir& dir, const std::string& name) {
    struct stat info {};
    try {
        const Subdirectory parent(dir.fd(), name, false);
        if (::fstatat(parent.fd(), parent.leaf().c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(info.st_mode)) {
            return std::nullopt;
        }
    } catch (const std::system_error&) {
        return std::nullopt;
    }
    ExistingFile file;
    file.name = name;
    file.mtime_s = static_cast<std::int64_t>(info.st_mtim.tv_sec);
    return file;
}

// Closes a file descriptor at scope end.
class FdCloser {
public:
    explicit FdCloser(int fd) : m_fd(fd) {}
    ~FdCloser() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    FdCloser(const FdCloser&) = delete;
    FdCloser& operator=(const FdCloser&) = delete;

private:
    int m_fd;
};

} // namespace

std::span<const std::string_view> appended_image_extensions() {
    return k_appended_extensions;
}

std::optional<ExistingFile> find_existing_file(const OutputDir& dir, const Task& task,
                                               bool any_type) {
    if (!task.needs_extension) {
        return regular_file_at(dir, task.file_name);
    }
    for (const std::string_view extension : k_appended_extensions) {
        std::string name = task.file_name;
        name += '.';
        name += extension;
        if (auto file = regular_file_at(dir, name)) {
            return file;
        }
    }
    // With --any-type a body of no known image type is saved under the bare stem.
    return any_type ? regular_file_at(dir, task.file_name) : std::nullopt;
}

std::optional<std::string> read_stored_etag(const OutputDir& dir, const std::string& name) {
    // There is no getxattrat(): open the file itself (O_NOFOLLOW; O_NONBLOCK so a FIFO swapped
    // in meanwhile cannot block the worker) and read the attribute from the descriptor.
    int fd = -1;
    try {
        const Subdirectory parent(dir.fd(), name, false);
        fd = ::openat(parent.fd(), parent.leaf().c_str(),
                      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    } catch (const std::system_error&) {
        return std::nullopt;
    }
    if (fd < 0) {
        return std::nullopt;
    }
    const FdCloser closer(fd);
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        return std::nullopt;
    }
    std::array<char, k_max_etag_bytes> buffer{};
    // ENODATA (none stored), ENOTSUP (no user xattrs here), ERANGE (too long to be ours): all
    // mean "no usable ETag"; update then relies on the modification time alone.
    const ssize_t size = ::fgetxattr(fd, k_etag_attribute, buffer.data(), buffer.size());
    if (size <= 0) {
        return std::nullopt;
    }
    std::string etag(buffer.data(), static_cast<std::size_t>(size));
    if (!is_storable_etag(etag)) {
        return std::nullopt; // not written by us, or damaged: never send it in a header
    }
    return etag;
}

bool is_storable_etag(std::string_view etag) {
    if (etag.empty() || etag.size() > k_max_etag_bytes) {
        return false;
    }
    for (const char c : etag) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7E) {
            return false;
        }
    }
    return true;
}

std::string http_date(std::int64_t unix_seconds) {
    static constexpr std::array<const char*, 7> k_days = {"Sun", "Mon", "Tue", "Wed",
                                                          "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> k_months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto seconds = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    if (::gmtime_r(&seconds, &utc) == nullptr) {
        return {};
    }
    // strftime's %a and %b follow the locale; HTTP wants the English names.
    std::array<char, 64> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  k_days.at(static_cast<std::size_t>(utc.tm_wday)), utc.tm_mday,
                  k_months.at(static_cast<std::size_t>(utc.tm_mon)), utc.tm_year + 1900,
                  utc.tm_hour, utc.tm_min, utc.tm_sec);
    return buffer.data();
}

std::optional<ExistingFile> existing_file_for(const Task& task, const DownloadContext& ctx) {
    if (ctx.settings.existing == ExistingPolicy::overwrite) {
        return std::nullopt;
    }
    return find_existing_file(ctx.dir, task, ctx.settings.any_type);
}

TransferResult skipped_result(const Task& task, const DownloadContext& ctx, unsigned worker,
                              const ExistingFile& existing) {
    TransferResult result = result_for(task, worker);
    result.status = Status::skipped; // no request at all
    result.attempts = 0;
    result.path = ctx.dir.path_of(existing.name);
    result.start = ctx.clock.seconds_since_start();
    result.end = result.start;
    return result;
}

std::optional<TransferResult> skip_existing(const Task& task, const DownloadContext& ctx,
                                            unsigned worker) {
    if (ctx.settings.existing != ExistingPolicy::skip) {
        return std::nullopt;
    }
    const std::optional<ExistingFile> existing = existing_file_for(task, ctx);
    if (!existing) {
        return std::nullopt;
    }
    return skipped_result(task, ctx, worker, *existing);
}

void append_header(HeaderList& list, const char* line) {
    curl_slist* grown = curl_slist_append(list.get(), line);
    if (grown == nullptr) {
        throw std::bad_alloc(); // `list` still owns (and frees) what it had
    }
    static_cast<void>(list.release()); // the same list, grown: owned by `grown` now
    list.reset(grown);
}

HeaderList validator_headers(const std::optional<std::string>& etag, const std::string& date) {
    HeaderList list;
    if (etag && is_storable_etag(*etag)) {
        append_header(list, ("If-None-Match: " + *etag).c_str());
    }
    // A date read back from an archive is sent only when it cannot break the header line.
    if (!date.empty() && is_storable_etag(date)) {
        append_header(list, ("If-Modified-Since: " + date).c_str());
    }
    return list;
}

HeaderList conditional_headers(const OutputDir& dir, const ExistingFile& existing) {
    return validator_headers(read_stored_etag(dir, existing.name), http_date(existing.mtime_s));
}

bool keep_unchanged(long http_status, const std::optional<ExistingFile>& existing,
                    const OutputDir& dir, TransferResult& result) {
    if (http_status != 304 || !existing) {
        return false;
    }
    result.status = Status::not_modified;
    result.path = dir.path_of(existing->name);
    return true;
}

void remove_replaced_file(const OutputDir& dir, const Task& task,
                          const std::optional<ExistingFile>& existing,
                          const std::string& final_name, const std::string& extension) {
    if (!existing || existing->name == final_name || !task.needs_extension ||
        final_name != task.file_name + "." + extension) {
        return;
    }
    bool removed = false;
    try {
        const Subdirectory parent(dir.fd(), existing->name, false); // the commit just walked it
        // ENOENT: the file --archive knew was moved away since; nothing to remove.
        removed = ::unlinkat(parent.fd(), parent.leaf().c_str(), 0) == 0 || errno == ENOENT;
    } catch (const std::system_error& e) {
        // Its folder is gone too (moved away), or was swapped for a symlink: warned below.
        removed = e.code() == std::errc::no_such_file_or_directory;
    }
    if (!removed) {
        spdlog::warn("{}: replaced by {} but not removed", printable(existing->name),
                     printable(final_name));
    }
}

} // namespace imgfetch
