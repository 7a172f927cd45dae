#pragma once

#include <array>
#include <optional>
#include <stop_token>
#include <streambuf>

namespace imgfetch {

// A read-only streambuf over a file descriptor whose reads end (as end of input) when a stop
// is requested, even while blocked on a pipe or terminal that has nothing to say: each read
// poll()s the fd together with an eventfd that the stop callback signals. This is how an
// interrupt stops a main thread reading a list from `producer | imgfetch -`.
// Owned and read by one thread; the stop callback may run on any thread (it only writes the
// eventfd).
class InterruptibleInput : public std::streambuf {
public:
    // Takes ownership of `fd` when `owns_fd`. Throws std::system_error when no eventfd.
    InterruptibleInput(int fd, bool owns_fd, std::stop_token stop);
    ~InterruptibleInput() override;
    InterruptibleInput(const InterruptibleInput&) = delete;
    InterruptibleInput& operator=(const InterruptibleInput&) = delete;

    // True when a read failed with an OS error (not end of input, not a stop).
    bool failed() const { return m_failed; }

protected:
    int_type underflow() override;

private:
    struct Wake {
        int fd;
        void operator()() const noexcept;
    };

    int m_fd;
    bool m_owns_fd;
    int m_wake_fd;
    bool m_failed = false;
    std::array<char, 64 * 1024> m_buffer{};
    std::optional<std::stop_callback<Wake>> m_on_stop; // last: may fire once m_wake_fd exists
};

} // namespace imgfetch
