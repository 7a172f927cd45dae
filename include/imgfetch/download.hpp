#pragma once

#include "imgfetch/run_clock.hpp"
#include "imgfetch/task.hpp"
#include "imgfetch/transfer_result.hpp"

namespace imgfetch {

class CurlSession;
class OutputDir;

// How every download of a run behaves.
struct DownloadSettings {
    bool any_type = false; // keep bodies that are not images
    long connect_timeout_s = 10;
    long stall_timeout_s = 30; // fail when no byte arrives for this long
};

// What all downloads of a run share; read-only while workers run, so no lock.
struct DownloadContext {
    const DownloadSettings& settings;
    const OutputDir& dir;
    const RunClock& clock;
};

// The one transfer routine, shared by the pool's workers and by --sequential. Downloads
// task.url into a temporary in the output directory and renames it to its final name only
// when the transfer completed with a 2xx status and the body is an image (or any_type).
// Never throws: every failure is a TransferResult with status failed and an error text.
// Uses `session` exclusively for the duration of the call.
TransferResult download_link(CurlSession& session, const Task& task, const DownloadContext& ctx,
                             unsigned worker);

} // namespace imgfetch
