// What each request says (issue 13): headers, User-Agent, Referer, credentials, cookies and
// proxies. Header values and passwords are secrets: no error text quotes them.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <string_view>

#include "imgfetch/cli/option_groups.hpp"
#include "imgfetch/transfer/proxy_env.hpp"
#include "imgfetch/transfer/request_headers.hpp"
#include "imgfetch/util/text_escape.hpp" // printable

namespace imgfetch {

namespace {

// A check whose error text comes from `problem` (empty = fine) and never quotes the value:
// header values and passwords are secrets.
CLI::Validator secret_safe_check(std::string (*problem)(std::string_view), const char* what) {
    return CLI::Validator([problem](const std::string& text) { return problem(text); }, "", what);
}

std::string user_problem(std::string_view user) {
    if (user.find(':') == std::string_view::npos) {
        return "give USER:PASSWORD (imgfetch never asks for a password)";
    }
    const bool control = std::any_of(user.begin(), user.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == '\x7f';
    });
    return control ? "USER:PASSWORD has a control character" : std::string();
}

std::string user_agent_problem(std::string_view agent) {
    return header_line_problem("User-Agent: " + std::string(agent)).empty()
               ? std::string()
               : "the User-Agent has a control character";
}

} // namespace

// What each request says, and the credentials: to the listed URL's origin only (headers,
// Referer, credentials), the User-Agent to every host.
void add_request_options(CLI::App& app, TransferOptions& transfer) {
    app.add_option("-H,--header", transfer.headers,
                   "Send this request header to the listed URL's host (not after a redirect to "
                   "another); repeatable; 'Name:' removes one libcurl would send")
        ->check(secret_safe_check(&header_line_problem, "header"))
        ->allow_extra_args(false) // one value per -H: the LIST after it stays a LIST
        ->option_text("'NAME: VALUE'");
    app.add_option("-A,--user-agent", transfer.user_agent,
                   "Send this User-Agent (default: imgfetch/" IMGFETCH_VERSION ")")
        ->check(secret_safe_check(&user_agent_problem, "user agent"))
        ->option_text("STRING");
    app.add_option("--referer", transfer.referer,
                   "Send this Referer to the listed URL's host; 'origin' sends the image URL's "
                   "own scheme://host[:port]/ (what most hotlink rules accept)")
        ->check(secret_safe_check(&referer_problem, "referer"))
        ->option_text("URL|origin");
    app.add_option("-u,--user", transfer.user,
                   "Basic auth credentials for the listed URL's host (a secret: never shown)")
        ->check(secret_safe_check(&user_problem, "credentials"))
        ->option_text("USER:PASSWORD");
    app.add_flag("--netrc", transfer.netrc,
                 "Take credentials for the listed URL's host from ~/.netrc");
    app.add_option("--netrc-file", transfer.netrc_file,
                   "Take credentials for the listed URL's host from this netrc file")
        ->check(CLI::ExistingFile)
        ->option_text("FILE");
}

// Cookies and proxies (issue 13 parts 3 and 5).
void add_cookie_and_proxy_options(CLI::App& app, TransferOptions& transfer) {
    app.add_option("--cookies", transfer.cookies_file,
                   "Load cookies from a Netscape cookies.txt (as browser extensions, curl -c and "
                   "wget --save-cookies write); each goes only to the hosts it is for")
        ->option_text("FILE");
    app.add_option("--save-cookies", transfer.save_cookies_file,
                   "Write every cookie, loaded or set by servers, to FILE at the end of the run "
                   "(cookies.txt, mode 0600)")
        ->option_text("FILE");
    app.add_option("--proxy", transfer.proxy,
                   "Send every request through this proxy: http://, https://, socks5:// or "
                   "socks5h:// (names resolved by the proxy), [USER:PASSWORD@]HOST[:PORT]; "
                   "overrides http_proxy, https_proxy and all_proxy")
        ->check(
            [](const std::string& text) {
                return is_supported_proxy_url(text)
                           ? std::string()
                           : "not an http://, https://, socks5:// or socks5h:// proxy URL: " +
                                 printable(redact_proxy_credentials(text));
            },
            "", "proxy")
        ->option_text("URL");
    app.add_option("--noproxy", transfer.noproxy,
                   "Hosts that go direct, comma-separated (names with their subdomains, IP "
                   "addresses, IPv4 CIDR ranges, or '*'); overrides no_proxy; '' = none")
        ->option_text("LIST");
}

} // namespace imgfetch
