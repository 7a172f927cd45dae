// Helpers for the tests of run/: tasks for a host name, and a wait for a state the code
// under test reports.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <thread>

#include "imgfetch/list/task.hpp"

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

// Spins (yielding) until `condition` holds: for a state the code under test reports, never
// a sleep that hopes the other thread got there.
inline void wait_until(const std::function<bool()>& condition) {
    while (!condition()) {
        std::this_thread::yield();
    }
}

} // namespace imgfetch::test
