#pragma once

#include <chrono>

namespace imgfetch {

// The run's time origin: report times are seconds since the run started. Immutable after
// construction, so every thread may read it without a lock.
class RunClock {
public:
    RunClock() : m_start(std::chrono::steady_clock::now()) {}

    double seconds_since_start() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }

private:
    std::chrono::steady_clock::time_point m_start;
};

} // namespace imgfetch
