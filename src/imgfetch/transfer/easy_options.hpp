#pragma once

namespace imgfetch {

struct PerTransfer;

// Sets every libcurl option of one transfer on its session's easy handle: the URL, the run's
// settings (timeouts, TLS, --limit-rate, encodings, HTTP/2, User-Agent), `transfer`'s request
// headers and its callbacks. Set on every transfer, since the handle is reused: nothing of the
// previous one may remain. Clears the handle's error buffer. The handle's thread only.
// Redirects are left unfollowed here; what differs per hop (URL, the user's headers, Referer,
// credentials, the time left) is set by perform_following_redirects (redirect_follow.hpp).
void set_easy_options(PerTransfer& transfer);

} // namespace imgfetch
