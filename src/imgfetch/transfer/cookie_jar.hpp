#pragma once

#include <cstddef>
#include <string>

namespace imgfetch {

class CurlShare;
struct TransferOptions;

// --cookies and --save-cookies: the run's one cookie jar (CurlShare's, which every worker
// uses) filled from, and written to, a Netscape cookies.txt, the format browser extensions,
// `curl -c` and `wget --save-cookies` write: one cookie a line, seven tab-separated fields
// (domain, TRUE when subdomains match too, path, TRUE for https only, expiry in Unix seconds
// with 0 for a session cookie, name, value); blank lines and '#' comments, except that a line
// starting "#HttpOnly_" is an HttpOnly cookie. libcurl's engine sends each cookie only to the
// hosts and paths it is for. No cookie value is ever logged or put in an error message.
//
// Loads `path` into `share`'s jar and returns how many lines held a cookie. Warns once when
// others can read the file, and once per line that is not a cookie (by its number). Throws
// SetupError naming the file when it cannot be read. Call it before any transfer starts.
std::size_t load_cookies(CurlShare& share, const std::string& path);

// Writes every cookie of `share`'s jar (session cookies too) to `path` as a cookies.txt,
// mode 0600, atomically (a temporary beside it, renamed over it). Throws SetupError naming the
// file. Call it after every transfer has ended.
void save_cookies(CurlShare& share, const std::string& path);

// The run's cookie files: the constructor loads --cookies and checks that --save-cookies will
// be writable (SetupError now rather than after the downloads); save() writes --save-cookies.
// Main thread only; `share` must outlive it.
class CookieFiles {
public:
    CookieFiles(const TransferOptions& settings, CurlShare& share); // throws SetupError
    // Writes the jar to --save-cookies when it was given; nothing otherwise. Throws SetupError.
    void save() const;

private:
    const TransferOptions& m_settings;
    CurlShare& m_share;
};

} // namespace imgfetch
