#include "imgfetch/transfer/stall_watch.hpp"

namespace imgfetch {

StallWatch::StallWatch(std::chrono::seconds limit, Clock::time_point start)
    : m_limit(limit), m_last_progress(start) {}

bool StallWatch::stalled(std::int64_t received, Clock::time_point now) {
    if (received != m_received) {
        m_received = received;
        m_last_progress = now;
        return false;
    }
    return now - m_last_progress > m_limit;
}

std::string StallWatch::reason() const {
    return "stalled: no data for " + std::to_string(m_limit.count()) + " s";
}

} // namespace imgfetch
