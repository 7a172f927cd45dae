#include "imgfetch/list/interruptible_input.hpp"

#include <array>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace imgfetch {

void InterruptibleInput::Wake::operator()() const noexcept {
    const std::uint64_t one = 1;
    // An eventfd write of 8 bytes cannot be partial; a full counter still leaves it readable.
    [[maybe_unused]] const auto written = ::write(fd, &one, sizeof one);
}

InterruptibleInput::InterruptibleInput(int fd, bool owns_fd, std::stop_token stop)
    : m_fd(fd), m_owns_fd(owns_fd), m_wake_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (m_wake_fd < 0) {
        const int err = errno;
        if (m_owns_fd) {
            ::close(m_fd);
        }
        throw std::system_error(err, std::generic_category(), "eventfd");
    }
    m_on_stop.emplace(std::move(stop), Wake{m_wake_fd});
}

InterruptibleInput::~InterruptibleInput() {
    m_on_stop.reset(); // waits for a running callback, so m_wake_fd outlives it
    ::close(m_wake_fd);
    if (m_owns_fd) {
        ::close(m_fd);
    }
}

InterruptibleInput::int_type InterruptibleInput::underflow() {
    if (gptr() < egptr()) {
        return traits_type::to_int_type(*gptr());
    }
    for (;;) {
        std::array<pollfd, 2> fds{{{m_fd, POLLIN, 0}, {m_wake_fd, POLLIN, 0}}};
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            m_failed = true;
            return traits_type::eof();
        }
        if ((fds[1].revents & POLLIN) != 0) {
            return traits_type::eof(); // stop requested: no more list
        }
        const ssize_t n = ::read(m_fd, m_buffer.data(), m_buffer.size());
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            m_failed = true;
            return traits_type::eof();
        }
        if (n == 0) {
            return traits_type::eof();
        }
        setg(m_buffer.data(), m_buffer.data(), m_buffer.data() + n);
        return traits_type::to_int_type(*gptr());
    }
}

} // namespace imgfetch
