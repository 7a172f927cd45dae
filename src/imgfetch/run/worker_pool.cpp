#include "imgfetch/run/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>

namespace imgfetch {

namespace {

// Builds the failed result of a task the handler could not finish. Must not throw: it is
// the last resort, so on allocation failure the strings stay empty.
TransferResult failed_result(const Task& task, unsigned worker, std::string error) noexcept {
    TransferResult result;
    try {
        result = imgfetch::failed_result(task, std::move(error));
    } catch (...) {
        result.seq = task.seq;
        result.line = task.line;
        result.status = Status::failed;
    }
    result.worker = worker;
    return result;
}

} // namespace

WorkerPool::WorkerPool(unsigned workers, WorkQueue<Task>& queue, HandlerFactory factory,
                       ResultSink& sink, HostSlots* slots)
    : m_queue(queue), m_factory(std::move(factory)), m_sink(sink),
      m_scheduler(queue, slots, workers) {
    m_threads.reserve(workers);
    try {
        for (unsigned index = 0; index < workers; ++index) {
            m_threads.emplace_back([this, index] { run_worker(index); });
        }
    } catch (...) {
        // No thread (ulimit -u, pids.max): let the started workers see the end and exit,
        // or ~jthread would wait forever for workers blocked in get().
        m_queue.close();
        join();
        throw;
    }
}

WorkerPool::~WorkerPool() {
    m_queue.close();
    join();
}

void WorkerPool::join() {
    for (auto& thread : m_threads) {
        if (thread.joinable()) {
            thread.join();
        }
    }
}

void WorkerPool::run_worker(unsigned index) {
    // Built here, on this worker's thread: a libcurl handle belongs to the thread using it.
    TaskHandler handler;
    std::string setup_error;
    try {
        handler = m_factory(index);
    } catch (const std::exception& e) {
        setup_error = std::string("worker setup failed: ") + e.what();
        spdlog::error("worker {}: {}", index, setup_error);
    } catch (...) {
        setup_error = "worker setup failed: unknown exception";
        spdlog::error("worker {}: {}", index, setup_error);
    }
    if (!handler && setup_error.empty()) {
        setup_error = "worker setup failed: no handler";
    }

    for (;;) {
        const Scheduler::Assignment next = m_scheduler.next(index);
        if (next.task == nullptr) {
            return; // the queue is closed and drained
        }
        if (next.admitted) {
            run_task(handler, *next.task, index, setup_error);
        } else {
            TaskDoneGuard<Task> done(m_queue);
            m_sink.add(failed_result(*next.task, index, "internal error: host gate"));
        }
    }
}

void WorkerPool::run_task(const TaskHandler& handler, const Task& task, unsigned index,
                          const std::string& setup_error) noexcept {
    TaskDoneGuard<Task> done(m_queue); // task_done() runs however this ends
    try {
        if (!handler) {
            // Keep draining so no task is lost and join() returns; each ends as a failure.
            m_sink.add(failed_result(task, index, setup_error));
            return;
        }
        m_sink.add(handler(task));
    } catch (const std::exception& e) {
        m_sink.add(failed_result(task, index, std::string("internal error: ") + e.what()));
    } catch (...) {
        m_sink.add(failed_result(task, index, "internal error"));
    }
}

} // namespace imgfetch
