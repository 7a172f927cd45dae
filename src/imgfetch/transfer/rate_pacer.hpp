#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stop_token>

#include "imgfetch/transfer/retry_policy.hpp"

namespace imgfetch {

// --limit-rate for one transfer, on top of libcurl's CURLOPT_MAX_RECV_SPEED_LARGE: libcurl
// averages over seconds and reads whatever the socket holds in one go, so a body that fits
// in the socket buffers (most images) arrives at full speed. The pacer holds the transfer's
// write callback instead: after each chunk it waits until the bytes so far could have
// arrived at the limit since the first one, so the average never exceeds it and TCP flow
// control slows the sender down.
// Owned by one transfer; not thread-safe (libcurl calls the write callback on one thread).
class RatePacer {
public:
    using Clock = std::chrono::steady_clock;

    explicit RatePacer(std::uint64_t bytes_per_second) : m_rate(bytes_per_second) {}

    // Counts `bytes` more and blocks while they came too fast; ends early when `stop` is
    // requested. Returns at once when there is no limit.
    void pace(std::size_t bytes, const std::stop_token& stop) {
        if (m_rate == 0 || bytes == 0) {
            return;
        }
        const Clock::time_point now = Clock::now();
        if (m_received == 0) {
            m_first = now;
        }
        m_received += bytes;
        const double due_s = static_cast<double>(m_received) / static_cast<double>(m_rate);
        const double elapsed_s = std::chrono::duration<double>(now - m_first).count();
        if (due_s > elapsed_s) {
            wait_unless_stopped(stop, due_s - elapsed_s); // a timer, not synchronisation
        }
    }

private:
    const std::uint64_t m_rate; // bytes per second; 0 = no limit
    std::uint64_t m_received = 0;
    Clock::time_point m_first{};
};

} // namespace imgfetch
