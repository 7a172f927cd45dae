// WorkerPool against a recording fake HandlerFactory: no network, real threads.
//
// Parallelism is proved, not hoped for: the first `workers` handler calls wait until that many
// handlers are in flight at the same time, so a pool that ran fewer at once would fail (after a
// generous deadline) rather than pass.

#include "imgfetch/run/worker_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/list/task.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/run/work_queue.hpp"
#include "imgfetch/transfer/transfer_result.hpp"
#include "support/bounded_wait.hpp"

namespace imgfetch {
namespace {

Task make_task(std::size_t seq) {
    Task task;
    task.seq = seq;
    task.line = seq + 1;
    task.url = "http://127.0.0.1:9/images/" + std::to_string(seq) + ".png";
    task.file_name = std::to_string(seq) + ".png";
    return task;
}

TransferResult succeeded(const Task& task, unsigned worker) {
    TransferResult result;
    result.seq = task.seq;
    result.line = task.line;
    result.url = task.url;
    result.status = Status::ok;
    result.bytes = task.seq;
    result.attempts = 1;
    result.worker = worker;
    return result;
}

// What a fake handler does with one task; it may throw.
using Behaviour = std::function<TransferResult(const Task&, unsigned worker)>;

struct Call {
    unsigned worker = 0;
    std::thread::id thread;
};

// A HandlerFactory that records which thread built each worker's handler and which threads
// ran it. `failing_workers` makes the factory throw for those worker indices.
class RecordingFactory {
public:
    explicit RecordingFactory(Behaviour behaviour = succeeded,
                              std::set<unsigned> failing_workers = {})
        : m_behaviour(std::move(behaviour)), m_failing_workers(std::move(failing_workers)) {}

    HandlerFactory factory() {
        return [this](unsigned worker) -> TaskHandler {
            record(m_factory_calls, worker);
            if (m_failing_workers.count(worker) != 0) {
                throw std::runtime_error("factory refused worker " + std::to_string(worker));
            }
            return [this, worker](const Task& task) {
                record(m_handler_calls, worker);
                return m_behaviour(task, worker);
            };
        };
    }

    std::vector<Call> factory_calls() const {
        std::lock_guard lock(m_mutex);
        return m_factory_calls;
    }

    std::vector<Call> handler_calls() const {
        std::lock_guard lock(m_mutex);
        return m_handler_calls;
    }

private:
    void record(std::vector<Call>& calls, unsigned worker) {
        std::lock_guard lock(m_mutex);
        calls.push_back({worker, std::this_thread::get_id()});
    }

    const Behaviour m_behaviour;
    const std::set<unsigned> m_failing_workers;

    mutable std::mutex m_mutex; // guards both call lists, appended to from every worker
    std::vector<Call> m_factory_calls;
    std::vector<Call> m_handler_calls;
};

// Makes the first `workers` handler calls wait until that many are in flight at once, and
// tracks how many ever run concurrently.
class ConcurrencyProbe {
public:
    explicit ConcurrencyProbe(unsigned workers) : m_workers(workers) {}

    TransferResult run(const Task& task, unsigned worker) {
        const unsigned now = m_in_flight.fetch_add(1) + 1;
        unsigned peak = m_peak.load();
        while (now > peak && !m_peak.compare_exchange_weak(peak, now)) {
        }
        // A worker parked here cannot start a second call, so the first `workers` calls come
        // from distinct workers, and the wait ends only when all of them run together (or
        // fails the test after a deadline: fewer workers than that would otherwise hang it).
        if (m_calls.fetch_add(1) < m_workers) {
            std::unique_lock lock(m_mutex);
            ++m_arrived;
            m_all_arrived.notify_all(); // under the lock: the waiters re-check m_arrived under it
            if (!m_all_arrived.wait_for(lock, test::k_hang_deadline,
                                        [this] { return m_arrived >= m_workers; })) {
                ADD_FAILURE() << "only " << m_arrived << " of " << m_workers
                              << " calls ever ran at once";
            }
        }
        m_in_flight.fetch_sub(1);
        return succeeded(task, worker);
    }

    unsigned peak() const { return m_peak.load(); }

private:
    const unsigned m_workers;
    std::mutex m_mutex; // guards m_arrived
    std::condition_variable m_all_arrived;
    unsigned m_arrived = 0; // calls parked in run() so far, up to m_workers
    std::atomic<unsigned> m_calls{0};
    std::atomic<unsigned> m_in_flight{0};
    std::atomic<unsigned> m_peak{0};
};

// The owner's protocol from worker_pool.hpp: put, queue.join(), close, pool.join() -- and then
// the destructor, which must be harmless after an explicit join.
void run_to_completion(unsigned workers, std::size_t tasks, HandlerFactory factory,
                       ResultSink& sink) {
    WorkQueue<Task> queue(workers);
    WorkerPool pool(workers, queue, std::move(factory), sink);
    for (std::size_t seq = 0; seq < tasks; ++seq) {
        queue.put(make_task(seq));
    }
    queue.join();
    queue.close();
    pool.join();
}

// Every task has exactly one record, in list order, naming the task it came from.
void expect_one_record_per_task(const std::vector<TransferResult>& records, std::size_t tasks) {
    ASSERT_EQ(records.size(), tasks);
    for (std::size_t seq = 0; seq < tasks; ++seq) {
        EXPECT_EQ(records[seq].seq, seq);
        EXPECT_EQ(records[seq].line, seq + 1);
        EXPECT_EQ(records[seq].url, make_task(seq).url);
    }
}

TEST(WorkerPool, EachWorkerCallsTheFactoryOnceOnItsOwnThread) {
    constexpr unsigned k_workers = 4;
    ConcurrencyProbe probe(k_workers); // makes every worker run at least one handler
    RecordingFactory recorder(
        [&](const Task& task, unsigned worker) { return probe.run(task, worker); });
    ResultSink sink(false);

    run_to_completion(k_workers, 40, recorder.factory(), sink);

    std::map<unsigned, std::thread::id> factory_thread;
    std::set<std::thread::id> distinct_threads;
    for (const Call& call : recorder.factory_calls()) {
        EXPECT_LT(call.worker, k_workers);
        EXPECT_TRUE(factory_thread.emplace(call.worker, call.thread).second)
            << "worker " << call.worker << " called the factory twice";
        EXPECT_NE(call.thread, std::this_thread::get_id()) << "called on the owner's thread";
        distinct_threads.insert(call.thread);
    }
    EXPECT_EQ(factory_thread.size(), k_workers);
    EXPECT_EQ(distinct_threads.size(), k_workers);

    std::set<unsigned> workers_that_handled;
    for (const Call& call : recorder.handler_calls()) {
        workers_that_handled.insert(call.worker);
        EXPECT_EQ(call.thread, factory_thread[call.worker])
            << "worker " << call.worker << " ran its handler on another thread";
    }
    EXPECT_EQ(workers_that_handled.size(), k_workers);
}

TEST(WorkerPool, EveryPutTaskYieldsExactlyOneResultInTheSink) {
    constexpr std::size_t k_tasks = 200;
    RecordingFactory recorder;
    ResultSink sink(true);

    run_to_completion(4, k_tasks, recorder.factory(), sink);

    const Summary summary = sink.summary();
    EXPECT_EQ(summary.total, k_tasks);
    EXPECT_EQ(summary.ok, k_tasks);
    EXPECT_EQ(summary.failed, 0U);
    EXPECT_EQ(summary.bytes, std::uint64_t{k_tasks * (k_tasks - 1) / 2});
    EXPECT_EQ(recorder.handler_calls().size(), k_tasks);
    const std::vector<TransferResult> records = sink.take_records();
    expect_one_record_per_task(records, k_tasks);
    for (const TransferResult& record : records) {
        EXPECT_EQ(record.status, Status::ok);
    }
}

TEST(WorkerPool, ResultsAreInTheSinkByTheTimeQueueJoinReturns) {
    constexpr std::size_t k_tasks = 100;
    RecordingFactory recorder;
    ResultSink sink(false);
    WorkQueue<Task> queue(2);
    WorkerPool pool(3, queue, recorder.factory(), sink);

    for (std::size_t seq = 0; seq < k_tasks; ++seq) {
        queue.put(make_task(seq));
    }
    queue.join();

    // task_done() comes after sink.add(), so the owner may report as soon as join() returns.
    EXPECT_EQ(sink.summary().total, k_tasks);
}

TEST(WorkerPool, RunsExactlyAsManyHandlersAtOnceAsItHasWorkers) {
    constexpr unsigned k_workers = 6;
    ConcurrencyProbe probe(k_workers);
    RecordingFactory recorder(
        [&](const Task& task, unsigned worker) { return probe.run(task, worker); });
    ResultSink sink(false);

    run_to_completion(k_workers, 10 * k_workers, recorder.factory(), sink);

    EXPECT_EQ(probe.peak(), k_workers);
    EXPECT_EQ(sink.summary().total, 10U * k_workers);
}

TEST(WorkerPool, AThrowingHandlerStillYieldsAFailedResultAndTaskDone) {
    constexpr std::size_t k_tasks = 20;
    RecordingFactory recorder([](const Task& task, unsigned worker) {
        if (task.seq % 2 == 1) {
            throw std::runtime_error("boom on " + std::to_string(task.seq));
        }
        return succeeded(task, worker);
    });
    ResultSink sink(true);

    run_to_completion(3, k_tasks, recorder.factory(), sink); // returns: task_done() still ran

    EXPECT_EQ(sink.summary().failed, k_tasks / 2);
    const std::vector<TransferResult> records = sink.take_records();
    expect_one_record_per_task(records, k_tasks);
    for (const TransferResult& record : records) {
        if (record.seq % 2 == 1) {
            EXPECT_EQ(record.status, Status::failed);
            EXPECT_NE(record.error.find("boom on " + std::to_string(record.seq)), std::string::npos)
                << "the reason was lost: " << record.error;
        } else {
            EXPECT_EQ(record.status, Status::ok);
            EXPECT_TRUE(record.error.empty());
        }
    }
}

TEST(WorkerPool, AHandlerThrowingANonStandardExceptionStillYieldsAFailedResult) {
    RecordingFactory recorder([](const Task&, unsigned) -> TransferResult { throw 42; });
    ResultSink sink(true);

    run_to_completion(2, 5, recorder.factory(), sink);

    const std::vector<TransferResult> records = sink.take_records();
    expect_one_record_per_task(records, 5);
    for (const TransferResult& record : records) {
        EXPECT_EQ(record.status, Status::failed);
        EXPECT_FALSE(record.error.empty());
    }
}

TEST(WorkerPool, AWorkerWhoseFactoryThrowsStillLetsEveryTaskComplete) {
    constexpr std::size_t k_tasks = 60;
    RecordingFactory recorder(succeeded, {0});
    ResultSink sink(true);

    run_to_completion(3, k_tasks, recorder.factory(), sink);

    EXPECT_EQ(recorder.factory_calls().size(), 3U);
    const std::vector<TransferResult> records = sink.take_records();
    expect_one_record_per_task(records, k_tasks);
    for (const TransferResult& record : records) {
        if (record.status != Status::ok) {
            EXPECT_EQ(record.status, Status::failed);
            EXPECT_FALSE(record.error.empty());
        }
    }
    for (const Call& call : recorder.handler_calls()) {
        EXPECT_NE(call.worker, 0U) << "worker 0 has no handler to call";
    }
}

TEST(WorkerPool, EveryTaskFailsRatherThanHangsWhenEveryFactoryThrows) {
    constexpr std::size_t k_tasks = 20;
    RecordingFactory recorder(succeeded, {0, 1, 2});
    ResultSink sink(true);

    run_to_completion(3, k_tasks, recorder.factory(), sink);

    EXPECT_EQ(sink.summary().failed, k_tasks);
    const std::vector<TransferResult> records = sink.take_records();
    expect_one_record_per_task(records, k_tasks);
    for (const TransferResult& record : records) {
        EXPECT_EQ(record.status, Status::failed);
        EXPECT_NE(record.error.find("factory refused worker"), std::string::npos)
            << "the reason was lost: " << record.error;
    }
    EXPECT_TRUE(recorder.handler_calls().empty());
}

TEST(WorkerPool, AFactoryThrowingANonStandardExceptionStillFailsEveryTask) {
    HandlerFactory factory = [](unsigned) -> TaskHandler { throw 42; };
    ResultSink sink(true);

    run_to_completion(2, 5, factory, sink);

    const std::vector<TransferResult> records = sink.take_records();
    expect_one_record_per_task(records, 5);
    for (const TransferResult& record : records) {
        EXPECT_EQ(record.status, Status::failed);
        EXPECT_FALSE(record.error.empty());
    }
}

TEST(WorkerPool, AFactoryReturningAnEmptyHandlerFailsEveryTaskInsteadOfCrashing) {
    HandlerFactory factory = [](unsigned) { return TaskHandler{}; };
    ResultSink sink(true);

    run_to_completion(2, 5, factory, sink);

    const std::vector<TransferResult> records = sink.take_records();
    expect_one_record_per_task(records, 5);
    for (const TransferResult& record : records) {
        EXPECT_EQ(record.status, Status::failed);
        EXPECT_FALSE(record.error.empty());
    }
}

TEST(WorkerPool, DestructorClosesTheQueueAndJoinsEveryWorker) {
    constexpr std::size_t k_tasks = 30;
    // Each handler holds a copy; once every worker has exited, only ours is left.
    auto handlers_alive = std::make_shared<int>(0);
    HandlerFactory factory = [handlers_alive](unsigned worker) -> TaskHandler {
        return [handlers_alive, worker](const Task& task) { return succeeded(task, worker); };
    };
    WorkQueue<Task> queue(4);
    ResultSink sink(false);

    {
        WorkerPool pool(4, queue, factory, sink);
        for (std::size_t seq = 0; seq < k_tasks; ++seq) {
            queue.put(make_task(seq));
        }
        queue.join();
    } // no close(), no pool.join(): the destructor does both

    factory = nullptr;
    EXPECT_EQ(handlers_alive.use_count(), 1) << "a worker outlived the pool";
    EXPECT_THROW(queue.put(make_task(k_tasks)), QueueClosed);
    EXPECT_EQ(sink.summary().total, k_tasks);
}

TEST(WorkerPool, DestructorDrainsTasksStillInTheQueue) {
    constexpr std::size_t k_tasks = 50;
    RecordingFactory recorder;
    WorkQueue<Task> queue; // unbounded, so every put returns before any worker need run
    ResultSink sink(true);

    {
        WorkerPool pool(3, queue, recorder.factory(), sink);
        for (std::size_t seq = 0; seq < k_tasks; ++seq) {
            queue.put(make_task(seq));
        }
    } // closed with work still queued: workers finish it before exiting

    EXPECT_EQ(queue.unfinished_tasks(), 0U);
    expect_one_record_per_task(sink.take_records(), k_tasks);
}

TEST(WorkerPool, ShutsDownCleanlyWhenNoTaskWasEverPut) {
    RecordingFactory recorder;
    ResultSink sink(false);

    run_to_completion(4, 0, recorder.factory(), sink);

    EXPECT_EQ(sink.summary().total, 0U);
    EXPECT_TRUE(recorder.handler_calls().empty());
}

} // namespace
} // namespace imgfetch
