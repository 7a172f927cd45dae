#pragma once

// Private to the transfer layer: the only place outside curl_session.cpp that sees curl types.

#include <curl/curl.h>

#include <array>
#include <mutex>
#include <vector>

#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/curl_share.hpp"

namespace imgfetch {

struct CurlSession::Handle {
    CURL* easy = nullptr;
    CURLSH* share = nullptr;                          // not owned; may be null
    std::array<char, CURL_ERROR_SIZE> error_buffer{}; // filled by libcurl on failure (ERRORBUFFER)
    std::vector<char> write_buffer; // a transfer's body bytes before one write (BodySink)
};

struct CurlShare::Handle {
    CURLSH* share = nullptr;
    // One mutex per curl_lock_data kind; libcurl's lock/unlock callbacks pick by index.
    std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes;
};

} // namespace imgfetch
