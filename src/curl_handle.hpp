#pragma once

// Private to the transfer layer: the only place outside curl_session.cpp that sees curl types.

#include <curl/curl.h>

#include "imgfetch/curl_session.hpp"

namespace imgfetch {

struct CurlSession::Handle {
    CURL* easy = nullptr;
    char error_buffer[CURL_ERROR_SIZE] = {}; // filled by libcurl on failure (ERRORBUFFER)
};

} // namespace imgfetch
