#pragma once

#include <stop_token>
#include <string>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/download.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch::test {

// The options the transfer layer reads. The one line to change when their type is renamed.
using DownloadOptions = TransferOptions;

// The options every in-process download test starts from: the defaults, except where the tests
// rely on a value that is not the command line's. Each test changes what it needs by name
// (`settings.retries = 2;`). The one place these test values are written.
inline DownloadOptions test_download_options() {
    DownloadOptions options;
    options.existing = ExistingPolicy::overwrite; // the command line's default is skip
    options.max_size = 0;                         // no limit; the command line's is 1 GiB
    options.retries = 0;                          // one attempt; the command line makes 3 more
    return options;
}

// What an in-process download needs, made once per test: a temporary output directory
// (`temp / "out"`), the options, a run clock and one curl session, and download() to fetch a
// URL into the directory with them. Use it as a base of a test fixture or as a local variable;
// owned and used by one test thread (the session is used by one thread at a time).
//
// Servers must outlive the session's keep-alive connections, or their shutdown waits out
// httplib's keep-alive timeout (5 s): declare a fixture's servers in a base class listed BEFORE
// DownloadFixture (bases are destroyed in reverse order), or as locals of a test declared before
// it.
class DownloadFixture {
public:
    DownloadFixture() = default;
    DownloadFixture(const DownloadFixture&) = delete;
    DownloadFixture& operator=(const DownloadFixture&) = delete;

    // The context of a run with these options and this directory: no name registry, no
    // progress counters, no host backoff. `stop` is the run's stop token.
    DownloadContext context(std::stop_token stop = {}) const {
        return DownloadContext{settings, dir, clock, std::move(stop), nullptr};
    }

    // One attempt (download_link) of `task` by worker `worker`: its result and retry advice.
    Attempt attempt(const Task& task, unsigned worker = 0) {
        return download_link(session, task, context(), worker);
    }
    // One attempt at `url`, saved as `name`.
    Attempt attempt(const std::string& url, const std::string& name = "x.png") {
        return attempt(Task{0, 1, url, name, false});
    }
    // The result of one attempt of `task`.
    TransferResult download(const Task& task, unsigned worker = 0) {
        return attempt(task, worker).result;
    }
    // One attempt at `url`, saved as `name`.
    TransferResult download(const std::string& url, const std::string& name = "x.png") {
        return download(Task{0, 1, url, name, false});
    }

    // `task` with settings.retries retries (download_with_retries).
    TransferResult download_retrying(const Task& task, unsigned worker = 0,
                                     std::stop_token stop = {}) {
        return download_with_retries(session, task, context(std::move(stop)), worker);
    }

    TempDir temp;
    OutputDir dir{(temp / "out").string()};
    DownloadOptions settings = test_download_options();
    RunClock clock;
    CurlSession session;
};

// A loopback server named `server`, for a fixture to list as a base before DownloadFixture:
// `class Fixture : public ::testing::Test, protected WithTestServer, protected DownloadFixture`.
struct WithTestServer {
    TestServer server;
};

} // namespace imgfetch::test
