#pragma once

#include <chrono>
#include <future>

namespace imgfetch::test {

// How long a test waits for something that should happen at once (a woken thread returning, a
// request arriving) before it calls it a hang and fails. A failure bound, never the expected
// wait: generous for a loaded machine or a sanitizer build, well under ctest's 300 s timeout.
inline constexpr std::chrono::seconds k_hang_deadline{60};

// Whether `result` became ready within `deadline`: `ASSERT_TRUE(finishes(result))` before
// result.get(), so a thread that never returns fails the test with a message instead of
// hanging it silently. (A std::async future still waits for its thread when it is destroyed:
// the failure is reported first, then ctest's timeout ends what remains stuck.)
template <typename R>
[[nodiscard]] bool finishes(const std::future<R>& result,
                            std::chrono::milliseconds deadline = k_hang_deadline) {
    return result.wait_for(deadline) == std::future_status::ready;
}

} // namespace imgfetch::test
