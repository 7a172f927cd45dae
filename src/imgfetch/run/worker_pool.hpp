#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/list/task.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/run/host_slots.hpp"
#include "imgfetch/run/scheduler.hpp"
#include "imgfetch/run/work_queue.hpp"
#include "imgfetch/transfer/transfer_result.hpp"

namespace imgfetch {

// Downloads one task; owned by one worker thread.
using TaskHandler = std::function<TransferResult(const Task&)>;

// Called once by each worker, on that worker's own thread, to build its handler (so a
// libcurl handle is created on the thread that uses it). Argument: the worker index.
using HandlerFactory = std::function<TaskHandler(unsigned worker)>;

// A fixed pool of std::jthread workers draining a WorkQueue<Task>. Each worker loops
// scheduler.next() -> handler -> sink.add() -> task_done() until the queue is closed and
// drained. task_done() runs for every item even if the handler throws, and a throwing handler
// (or factory) still yields a failed result: no task is lost silently.
// The owner puts tasks, calls queue.join(), queue.close(), then join() (or lets the
// destructor do the last two).
// Which task a worker runs next is the Scheduler's decision (run/scheduler.hpp): with
// HostSlots (per-host cap and backoff) a task whose host is saturated is parked there and
// handed later to a worker that finishes a task of that host. Whoever runs a task calls its
// task_done(), so join() still waits for parked tasks. The slots must outlive the pool.
class WorkerPool {
public:
    WorkerPool(unsigned workers, WorkQueue<Task>& queue, HandlerFactory factory, ResultSink& sink,
               HostSlots* slots = nullptr);
    ~WorkerPool(); // closes the queue and joins every worker
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Blocks until every worker has exited (the queue must be closed first).
    void join();

private:
    void run_worker(unsigned index);
    void run_task(const TaskHandler& handler, const Task& task, unsigned index,
                  const std::string& setup_error) noexcept;

    WorkQueue<Task>& m_queue;
    HandlerFactory m_factory; // immutable after construction; each worker calls it once
    ResultSink& m_sink;
    Scheduler m_scheduler;               // thread-safe per worker index (see its header)
    std::vector<std::jthread> m_threads; // touched only by the owning thread
};

} // namespace imgfetch
