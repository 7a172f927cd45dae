#pragma once

// Private to the transfer layer (it names libcurl's types).

#include <curl/curl.h>

#include <string>

namespace imgfetch {

struct PerTransfer;

// Performs `transfer` (set up by set_easy_options) and follows its redirects itself, as
// libcurl's CURLOPT_FOLLOWLOCATION would (which set_easy_options leaves off): any 3xx but 304
// with a Location, at most 10 redirects, to http and https URLs only; the final response is
// the transfer's (status, headers, body). Each hop's request is built afresh:
// - the conditional headers of --existing update (transfer.request_headers) on every hop;
// - the user's headers (--header, then the task's own), the Referer (the task's, else
//   --referer) and credentials (-u, --netrc, --netrc-file) only on a hop to the listed URL's
//   origin (request_headers.hpp: is_listed_origin); a hop to another host gets none of them,
//   whatever libcurl would forward.
// --timeout spans every hop. Returns the last perform's code; a redirect beyond the limit is
// CURLE_TOO_MANY_REDIRECTS, one to another scheme CURLE_UNSUPPORTED_PROTOCOL and a --timeout
// spent between hops CURLE_OPERATION_TIMEDOUT, each with the handle's error buffer filled in.
// `final_url` receives the URL of the last request when at least one redirect was followed
// (as the server's Location resolved it: redact it before showing it), and stays empty when
// the first request's response was final.
// Throws std::invalid_argument for a task header or Referer that cannot be sent (the text
// names the header, never its value). On the transfer's thread; uses its handle exclusively.
CURLcode perform_following_redirects(PerTransfer& transfer, std::string& final_url);

} // namespace imgfetch
