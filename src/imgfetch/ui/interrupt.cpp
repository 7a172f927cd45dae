#include "imgfetch/ui/interrupt.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

namespace imgfetch {

namespace {

// Sent by the destructor to the watcher thread to end its wait; blocked like the others, so
// it is only ever received by sigwait.
constexpr int k_wake_signal = SIGUSR2;

sigset_t watched_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, k_wake_signal);
    return set;
}

} // namespace

InterruptWatcher::InterruptWatcher(std::stop_source stop) : m_stop(std::move(stop)) {
    const sigset_t set = watched_signals();
    pthread_sigmask(SIG_BLOCK, &set, &m_old_mask);
    m_thread = std::jthread([this] { watch(); });
}

InterruptWatcher::~InterruptWatcher() {
    m_shutting_down.store(true);
    pthread_kill(m_thread.native_handle(), k_wake_signal);
    m_thread.join();
    pthread_sigmask(SIG_SETMASK, &m_old_mask, nullptr);
}

void InterruptWatcher::watch() {
    const sigset_t set = watched_signals();
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig == k_wake_signal) {
            if (m_shutting_down.load()) {
                return;
            }
            continue;
        }
        int expected = 0;
        if (m_signal.compare_exchange_strong(expected, sig)) {
            static constexpr std::string_view k_message =
                "\nimgfetch: interrupted: finishing up (press Ctrl+C again to quit at once)\n";
            [[maybe_unused]] const auto written =
                ::write(STDERR_FILENO, k_message.data(), k_message.size());
            m_stop.request_stop(); // runs stop callbacks (closing the queue) on this thread
        } else {
            // Second signal: the user wants out now. _exit skips destructors on purpose:
            // nothing partial is under a final name, only temporaries may stay.
            ::_exit(128 + sig);
        }
    }
}

} // namespace imgfetch
