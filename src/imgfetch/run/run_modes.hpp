#pragma once

#include <optional>

#include "imgfetch/list/shard.hpp"

namespace imgfetch {

class CurlShare;
class ListInputs;
class NameRegistry;
class ResultSink;
struct DownloadContext;

// What one run shares between the main thread and the workers: all of it is read-only while
// the run lasts or thread-safe itself (NameRegistry, ResultSink, CurlShare).
struct RunShared {
    const ListInputs& lists;
    NameRegistry& names;
    ResultSink& sink;
    const DownloadContext& ctx;
    CurlShare& curl_share;
    const std::optional<Shard>& shard; // --shard: emit only this shard's URLs
};

// The two ways a run downloads its list; app.cpp calls one. Both read the lists on the main
// thread, add every task's result to run.sink and return once every task has one (or the
// run was stopped and the rest reported). Neither throws for a failed URL.

// --sequential: no queue, no pool; the main thread runs download_with_retries() for each
// task in list order. Only the host-wide Retry-After backoff applies (one transfer at a
// time, so --per-host is moot).
void run_sequential(const RunShared& run);

// Pool mode: the main thread fills a bounded queue that `jobs` workers drain, each with its
// own libcurl session; tasks reach the workers through the Scheduler, with per-host slots
// (`per_host` transfers at once per host, 0 = no cap) and the host-wide backoff.
void run_pool(const RunShared& run, unsigned jobs, unsigned per_host);

} // namespace imgfetch
