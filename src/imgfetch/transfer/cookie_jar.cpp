#include "imgfetch/transfer/cookie_jar.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <system_error>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/files/private_file.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/curl_handle.hpp"

namespace imgfetch {

namespace {

constexpr std::string_view k_http_only_prefix = "#HttpOnly_";
constexpr const char* k_header = "# Netscape HTTP Cookie File\n"
                                 "# Written by imgfetch at the end of a run. It holds secrets: "
                                 "keep it private.\n\n";

struct EasyCleanup {
    void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};

// An easy handle on the share's jar, for CURLOPT_COOKIELIST and CURLINFO_COOKIELIST: never
// used for a transfer, so nothing else of the share is touched.
std::unique_ptr<CURL, EasyCleanup> jar_handle(CurlShare& share) {
    std::unique_ptr<CURL, EasyCleanup> easy(curl_easy_init());
    if (!easy) {
        throw SetupError("libcurl could not create a handle for the cookie jar");
    }
    curl_easy_setopt(easy.get(), CURLOPT_SHARE, share.handle().share);
    return easy;
}

struct FileClose {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

// getline()'s buffer, which it grows with realloc: freed once, at scope end.
struct LineBuffer {
    char* data = nullptr;
    std::size_t capacity = 0;
    LineBuffer() = default;
    ~LineBuffer() { std::free(data); } // NOLINT(cppcoreguidelines-no-malloc): getline's
    LineBuffer(const LineBuffer&) = delete;
    LineBuffer& operator=(const LineBuffer&) = delete;
};

// Whether `line` (without its line end) is a cookie, a comment or blank, or neither.
enum class LineKind { cookie, skipped, malformed };

LineKind kind_of(std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
        return LineKind::skipped;
    }
    if (line.rfind(k_http_only_prefix, 0) == 0) {
        line.remove_prefix(k_http_only_prefix.size());
    } else if (line.front() == '#') {
        return LineKind::skipped;
    }
    // Seven fields; six when the value is empty and its tab was trimmed, as libcurl accepts.
    const auto tabs = std::count(line.begin(), line.end(), '\t');
    return tabs == 6 || tabs == 5 ? LineKind::cookie : LineKind::malformed;
}

std::string read_error(const std::string& path, int error) {
    return "cannot read cookies file '" + path +
           "': " + std::error_code(error, std::generic_category()).message();
}

} // namespace

std::size_t load_cookies(CurlShare& share, const std::string& path) {
    const std::unique_ptr<std::FILE, FileClose> file(std::fopen(path.c_str(), "re"));
    if (!file) {
        throw SetupError(read_error(path, errno));
    }
    warn_if_readable_by_others(path, "cookies file");
    const auto easy = jar_handle(share);
    std::size_t loaded = 0;
    std::size_t number = 0;
    LineBuffer buffer;
    errno = 0;
    for (ssize_t length = 0;
         (length = ::getline(&buffer.data, &buffer.capacity, file.get())) >= 0;) {
        ++number;
        std::string line(buffer.data, static_cast<std::size_t>(length));
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        const LineKind kind = kind_of(line);
        if (kind == LineKind::malformed) {
            spdlog::warn("cookies file '{}' line {}: not a cookie (7 tab-separated fields), "
                         "skipped",
                         path, number);
        } else if (kind == LineKind::cookie) {
            curl_easy_setopt(easy.get(), CURLOPT_COOKIELIST, line.c_str());
            ++loaded;
        }
    }
    if (std::ferror(file.get()) != 0) {
        throw SetupError(read_error(path, errno != 0 ? errno : EIO));
    }
    spdlog::debug("cookies file '{}': {} cookies loaded", path, loaded);
    return loaded;
}

void save_cookies(CurlShare& share, const std::string& path) {
    const auto easy = jar_handle(share);
    curl_slist* cookies = nullptr;
    curl_easy_getinfo(easy.get(), CURLINFO_COOKIELIST, &cookies);
    std::string text = k_header;
    std::size_t count = 0;
    for (const curl_slist* item = cookies; item != nullptr; item = item->next) {
        text += item->data; // libcurl's own Netscape line, "#HttpOnly_" included
        text += '\n';
        ++count;
    }
    curl_slist_free_all(cookies);
    try {
        write_file_atomically(path, text, 0600);
    } catch (const std::system_error& e) {
        throw SetupError("cannot write cookies file '" + path + "': " + e.what());
    }
    spdlog::debug("cookies file '{}': {} cookies saved", path, count);
}

CookieFiles::CookieFiles(const TransferOptions& settings, CurlShare& share)
    : m_settings(settings), m_share(share) {
    if (!settings.cookies_file.empty()) {
        load_cookies(share, settings.cookies_file);
    }
    if (!settings.save_cookies_file.empty()) {
        try {
            check_file_writable_atomically(settings.save_cookies_file);
        } catch (const std::system_error& e) {
            throw SetupError("cannot write cookies file '" + settings.save_cookies_file +
                             "': " + e.what());
        }
    }
}

void CookieFiles::save() const {
    if (!m_settings.save_cookies_file.empty()) {
        save_cookies(m_share, m_settings.save_cookies_file);
    }
}

} // namespace imgfetch
