#pragma once

#include <chrono>
#include <functional>

namespace imgfetch::test {

using SteadyClock = std::chrono::steady_clock;

// Seconds from `start` to now, on the steady clock.
inline double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// How many seconds `run_it` took.
inline double seconds_of(const std::function<void()>& run_it) {
    const auto start = SteadyClock::now();
    run_it();
    return seconds_since(start);
}

} // namespace imgfetch::test
