#pragma once

#include <curl/curl.h>

#include <string>

namespace imgfetch {

struct PerTransfer;

// The error text of a transfer that libcurl ended with `code` (not CURLE_OK): libcurl's own
// words with its error buffer, except where they would mislead, said so that a person can act
// on them (an unsupported or corrupt Content-Encoding, a response header over libcurl's limit,
// a proxy from the environment that cannot be reached, its password redacted). Call after
// curl_easy_perform(), on the handle's thread.
std::string failure_text(CURLcode code, const PerTransfer& transfer);

} // namespace imgfetch
