#pragma once

// Private to the transfer layer (it names libcurl's types).

#include <curl/curl.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/transfer/body_sink.hpp"
#include "imgfetch/transfer/curl_handle.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/existing_file.hpp"
#include "imgfetch/transfer/rate_pacer.hpp"
#include "imgfetch/transfer/response_facts.hpp"
#include "imgfetch/transfer/resume_partial.hpp"
#include "imgfetch/transfer/stall_watch.hpp"

namespace imgfetch {

// Everything one transfer needs (curl's per_transfer), owned by one download_link() call on
// the worker's thread and destroyed with it; the parts each have one job. libcurl calls the
// three static callbacks on that same thread, during curl_easy_perform(), with this object as
// their user pointer: nothing here is shared, so nothing is locked.
// Neither copied nor moved: libcurl and the body sink hold its address.
struct PerTransfer {
    PerTransfer(const Task& task, const DownloadContext& ctx, CurlSession::Handle& handle);
    PerTransfer(const PerTransfer&) = delete;
    PerTransfer& operator=(const PerTransfer&) = delete;

    const Task& task;
    const DownloadContext& ctx;
    CurlSession::Handle& handle; // the session's easy handle, error buffer and write buffer
    CURL* easy;

    ResponseFacts response; // what the latest response said (a view of `easy`)
    ResumeState resume;     // --resume: the partial download (before `body`, which borrows it)
    BodySink body;          // where a 2xx body goes
    StallWatch stall;       // --stall-timeout
    RatePacer pacer;        // --limit-rate, on top of MAX_RECV_SPEED_LARGE

    std::optional<ExistingFile> existing; // --existing update: the file the request is about
    HeaderList request_headers;           // extra request headers; null when none

    // How the transfer went, as the callbacks saw it.
    std::string abort_reason;      // set when we stop the transfer ourselves
    bool abort_retryable = false;  // our abort is transient (a stall), worth another attempt
    bool abort_filtered = false;   // our abort is an image filter's: the result is `filtered`
    bool error_body_cut = false;   // a long error body was cut: the HTTP status is the error
    bool headers_complete = false; // the latest response's header block has ended
    std::size_t discarded = 0;     // bytes of non-2xx bodies dropped

    // libcurl's C callbacks (CURLOPT_WRITEFUNCTION, HEADERFUNCTION, XFERINFOFUNCTION): no
    // exception crosses them; `user` is the PerTransfer.
    static std::size_t write_callback(char* data, std::size_t size, std::size_t count, void* user);
    static std::size_t header_callback(char* data, std::size_t size, std::size_t count, void* user);
    static int progress_callback(void* user, curl_off_t, curl_off_t received, curl_off_t,
                                 curl_off_t);

private:
    bool on_body(std::string_view piece);
    bool on_header(std::string_view line);
    bool on_headers_complete();
    bool resume_on_success();
    bool on_progress(curl_off_t received);
};

} // namespace imgfetch
