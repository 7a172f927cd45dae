#pragma once

#include <functional>
#include <thread>
#include <vector>

#include "imgfetch/result_sink.hpp"
#include "imgfetch/task.hpp"
#include "imgfetch/transfer_result.hpp"
#include "imgfetch/work_queue.hpp"

namespace imgfetch {

// Downloads one task; owned by one worker thread.
using TaskHandler = std::function<TransferResult(const Task&)>;

// Called once by each worker, on that worker's own thread, to build its handler (so a
// libcurl handle is created on the thread that uses it). Argument: the worker index.
using HandlerFactory = std::function<TaskHandler(unsigned worker)>;

// A fixed pool of std::jthread workers draining a WorkQueue<Task>. Each worker loops
// get() -> handler -> sink.add() -> task_done() until the queue is closed and drained.
// task_done() runs for every item even if the handler throws, and a throwing handler (or
// factory) still yields a failed result: no task is lost silently.
// The owner puts tasks, calls queue.join(), queue.close(), then join() (or lets the
// destructor do the last two).
class WorkerPool {
public:
    WorkerPool(unsigned workers, WorkQueue<Task>& queue, HandlerFactory factory, ResultSink& sink);
    ~WorkerPool(); // closes the queue and joins every worker
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Blocks until every worker has exited (the queue must be closed first).
    void join();

private:
    void run_worker(unsigned index);

    WorkQueue<Task>& m_queue;
    HandlerFactory m_factory; // immutable after construction; each worker calls it once
    ResultSink& m_sink;
    std::vector<std::jthread> m_threads; // touched only by the owning thread
};

} // namespace imgfetch
