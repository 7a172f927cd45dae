#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <stop_token>
#include <thread>

#include "imgfetch/list/shard.hpp"

namespace imgfetch {

class ListInputs;
struct ProgressCounters;

// Pure apart from reading `fd`: counts, ahead of the run, the tasks produce_tasks() will read
// from one list that is a regular file, reading it with pread() from offset `from` (the
// descriptor's own offset does not move, so the main thread may read it at the same time).
// A task is every line that is not blank or a comment: a URL, a repeated URL (a duplicate)
// and a bad line alike. With `shard`, only what that shard reports: its own URLs, and bad
// lines on shard 0. Nothing when a read fails (produce_tasks() reports that itself) or once
// `stop` is requested. Memory stays flat whatever the list's length: one read buffer and
// ListReader's line buffer, no URL is kept.
std::optional<std::uint64_t> count_list_tasks(int fd, off_t from, const std::optional<Shard>& shard,
                                              const std::stop_token& stop = {});

// The progress bar's total, known from the start: a thread that counts every list of `lists`
// with count_list_tasks() while the run reads them, then publishes the sum with
// ProgressCounters::publish_count(). When a list is not a regular file (standard input from a
// pipe, a FIFO, a terminal: reading it ahead would take its lines) no thread is started and
// the total stays growing, as the lists are read. The count ends early on a stop request of
// `run_stop` or on destruction, which joins the thread. `lists` and `counters` must outlive
// the ListTotal; the thread touches nothing else shared (the counters are atomics).
class ListTotal {
public:
    ListTotal(const ListInputs& lists, const std::optional<Shard>& shard,
              ProgressCounters& counters, std::stop_token run_stop = {});
    ListTotal(const ListTotal&) = delete;
    ListTotal& operator=(const ListTotal&) = delete;

private:
    std::jthread m_thread; // requests stop and joins on destruction; empty when not counting
};

} // namespace imgfetch
