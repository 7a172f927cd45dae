#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

struct TransferOptions;

// The one place that decides which proxy a URL goes through, as libcurl 7.88 decides it with
// the options set_easy_options() gives it (CURLOPT_PROXY from --proxy, CURLOPT_NOPROXY from
// --noproxy):
// 1. the no-proxy list: --noproxy when given (even empty: then no host bypasses), else
//    `no_proxy` (then `NO_PROXY`) — "*", or a comma-separated list of host names (a name
//    matches itself and its subdomains; a leading dot is ignored), IP addresses and IPv4 CIDR
//    ranges. A URL whose host is on it goes direct;
// 2. else --proxy when given;
// 3. else `<scheme>_proxy` in lower case, for schemes other than http also in upper case
//    (uppercase HTTP_PROXY is never read: CGI sets it from a request header); then `all_proxy`,
//    `ALL_PROXY`; an empty variable counts as unset, as in libcurl.
// Nothing when no proxy applies. Used to name the proxy in a connection error: libcurl
// connects to the proxy, not the server. Thread-safe while nobody changes the environment
// (imgfetch never does).
std::optional<std::string> proxy_for(std::string_view url, const TransferOptions& settings);

// proxy_for() without --proxy or --noproxy: the environment's choice alone.
std::optional<std::string> proxy_from_environment(std::string_view url);

// Whether --proxy takes `url`: http://, https://, socks5:// or socks5h:// (any case) and a
// host. Pure.
bool is_supported_proxy_url(std::string_view url);

// `url` with any user:password in it replaced by "***", also when it has no scheme (libcurl
// takes "user:pw@host:port" as an http proxy): what messages show of a proxy. Pure.
std::string redact_proxy_credentials(std::string_view url);

// Whether `host` (lower case, IPv6 without brackets) matches the no_proxy list `list`.
bool no_proxy_matches(std::string_view list, std::string_view host);

} // namespace imgfetch
