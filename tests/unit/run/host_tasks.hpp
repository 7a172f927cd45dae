// Helpers for the tests of run/: tasks for a host name, and a wait for a state the code
// under test reports.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>

#include <cstddef>
#include <functional>
#include <string>
#include <thread>

#include "imgfetch/list/task.hpp"

#include "support/bounded_wait.hpp"
#include "support/child_process.hpp" // eventually()

namespace imgfetch::test {

// A task of `host` as the list reader makes it (host parsed once, carried by the task).
inline Task task_for(const std::string& host, std::size_t seq) {
    Task task;
    task.seq = seq;
    task.line = seq + 1;
    task.url = "http://" + host + "/" + std::to_string(seq) + ".png";
    task.file_name = std::to_string(seq) + ".png";
    task.host = host;
    return task;
}

// Waits until `condition` holds, for a state the code under test reports (never a sleep
// that hopes the other thread got there); a failure (reported at once, then thrown to end the
// test) when it does not within k_hang_deadline, instead of a hang.
inline void wait_until(const std::function<bool()>& condition) {
    if (!eventually(condition, k_hang_deadline)) {
        ADD_FAILURE() << "condition not reached within " << k_hang_deadline.count() << " s";
        throw std::runtime_error("wait_until: deadline passed");
    }
}

} // namespace imgfetch::test
