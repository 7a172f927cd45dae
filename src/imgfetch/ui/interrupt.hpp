#pragma once

#include <atomic>
#include <csignal>
#include <stop_token>
#include <thread>

namespace imgfetch {

// Turns SIGINT and SIGTERM into a stop request, so every part of the run can wind down in
// order: the main thread stops reading the list, workers take no new task, transfers abort
// from libcurl's progress callback, temporaries are removed, the summary and report still
// appear. A second signal ends the process at once with 128+signal (temporaries may remain,
// but never under a final name).
//
// Construct it in main() before any other thread starts: it blocks the signals in the calling
// thread, so every thread started later inherits the mask and only the watcher thread receives
// them (sigwait), outside any signal handler. Not copyable; one per process.
class InterruptWatcher {
public:
    explicit InterruptWatcher(std::stop_source stop);
    ~InterruptWatcher(); // wakes and joins the watcher thread, restores the signal mask
    InterruptWatcher(const InterruptWatcher&) = delete;
    InterruptWatcher& operator=(const InterruptWatcher&) = delete;

    // The first signal received (SIGINT or SIGTERM), 0 when none. Thread-safe.
    int signal_received() const { return m_signal.load(); }

private:
    void watch();

    std::stop_source m_stop;
    std::atomic<int> m_signal{0};
    std::atomic<bool> m_shutting_down{false};
    sigset_t m_old_mask{};
    std::jthread m_thread; // last: starts after the members above exist
};

} // namespace imgfetch
