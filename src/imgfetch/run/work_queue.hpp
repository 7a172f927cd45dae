#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace imgfetch {

// Thrown by put() on a closed queue.
class QueueClosed : public std::logic_error {
public:
    QueueClosed() : std::logic_error("put() on a closed WorkQueue") {}
};

// A bounded blocking FIFO with the semantics of Python's queue.Queue, plus close():
//  - put() blocks while the queue holds `capacity` items (capacity 0 = unbounded); a blocked
//    put() is woken once get() has drained the queue to half its capacity (see get());
//  - get() blocks while empty; it returns std::nullopt once the queue is closed and drained;
//  - every put() adds one unfinished task, every task_done() removes one, and task_done()
//    throws std::logic_error when called more often than put();
//  - join() blocks until the unfinished-task count is zero.
// Thread-safe: every member function may be called from any thread.
template <typename T>
class WorkQueue {
public:
    explicit WorkQueue(std::size_t capacity = 0) : m_capacity(capacity) {}

    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;

    // Blocks while full. Throws QueueClosed if the queue is (or becomes) closed.
    void put(T item) {
        {
            std::unique_lock lock(m_mutex);
            m_not_full.wait(lock, [&] { return m_closed || !is_full_locked(); });
            if (m_closed) {
                throw QueueClosed();
            }
            m_items.push_back(std::move(item));
            ++m_unfinished_tasks;
        }
        // Notified after unlocking so the woken getter does not block on our mutex at once;
        // safe because the predicate is re-checked under the lock.
        m_not_empty.notify_one();
    }

    // Blocks while empty and open. Returns std::nullopt once closed and drained. Takes the
    // front item: get_preferring with no preference.
    std::optional<T> get() {
        return get_preferring([](const T&) { return false; }, 0, 0);
    }

    // get() with a preference, for host-affine dispatch: takes the first of the first
    // `look_ahead` queued items for which prefer(item) is true, else the front item. Fairness:
    // the front item is passed over at most `max_passes` times in a row (then it is taken
    // whatever prefer says), so an item at position p (0 = front) is taken within
    // (p + 1) * (max_passes + 1) takes, whoever takes them. Same blocking, closing and
    // accounting as get(). prefer is called under the queue's lock: it must be cheap, must not
    // throw, and must not call back into the queue.
    template <typename Prefer>
    std::optional<T> get_preferring(Prefer&& prefer, std::size_t look_ahead,
                                    std::size_t max_passes) {
        std::optional<T> item;
        bool wake_producers = false;
        {
            // Lock scope: the choice and the removal; the notify follows outside.
            std::unique_lock lock(m_mutex);
            m_not_empty.wait(lock, [&] { return m_closed || !m_items.empty(); });
            if (m_items.empty()) {
                return std::nullopt; // closed and drained
            }
            auto chosen = m_items.begin();
            if (m_front_passes < max_passes && !prefer(std::as_const(*chosen))) {
                const auto end = m_items.begin() +
                                 static_cast<std::ptrdiff_t>(std::min(look_ahead, m_items.size()));
                for (auto at = std::next(m_items.begin()); at < end; ++at) {
                    if (prefer(std::as_const(*at))) {
                        chosen = at;
                        break;
                    }
                }
            }
            m_front_passes = chosen == m_items.begin() ? 0 : m_front_passes + 1;
            item.emplace(std::move(*chosen));
            m_items.erase(chosen);
            wake_producers = m_items.size() == m_capacity / 2;
        }
        // Producers blocked on a full queue wake once it has drained to half, all at once, and
        // refill it in one go: woken at every get(), a producer faster than the consumers (the
        // list reader) slept and woke once per item, two context switches each. No getter
        // can starve meanwhile: the queue is never empty before it passes the half mark. All
        // of them, because each refills only its own item. Outside the lock, as in put().
        if (wake_producers) {
            m_not_full.notify_all();
        }
        return item;
    }

    // Marks one earlier get() item as finished. Throws std::logic_error on underflow.
    void task_done() {
        bool all_done = false;
        {
            std::lock_guard lock(m_mutex);
            if (m_unfinished_tasks == 0) {
                throw std::logic_error("task_done() called too many times");
            }
            all_done = --m_unfinished_tasks == 0;
        }
        if (all_done) {
            // Every joiner must wake, and none can miss it: they re-check the count under
            // the lock before waiting.
            m_all_tasks_done.notify_all();
        }
    }

    // Blocks until every item ever put has had its task_done().
    void join() {
        std::unique_lock lock(m_mutex);
        m_all_tasks_done.wait(lock, [&] { return m_unfinished_tasks == 0; });
    }

    // No more put(); getters drain what is left and then receive std::nullopt.
    void close() {
        {
            std::lock_guard lock(m_mutex);
            m_closed = true;
        }
        // Wake every blocked getter and putter: their predicates now see m_closed.
        m_not_empty.notify_all();
        m_not_full.notify_all();
    }

    std::size_t size() const {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }

    std::size_t unfinished_tasks() const {
        std::lock_guard lock(m_mutex);
        return m_unfinished_tasks;
    }

    std::size_t capacity() const { return m_capacity; } // immutable: no lock needed

private:
    bool is_full_locked() const { return m_capacity > 0 && m_items.size() >= m_capacity; }

    const std::size_t m_capacity;

    // m_mutex guards every member below; the three conditions all wait on it.
    mutable std::mutex m_mutex;
    std::condition_variable m_not_empty;      // signalled by put() and close()
    std::condition_variable m_not_full;       // signalled by get() and close()
    std::condition_variable m_all_tasks_done; // signalled when m_unfinished_tasks hits 0
    std::deque<T> m_items;
    std::size_t m_unfinished_tasks = 0;
    bool m_closed = false;
    std::size_t m_front_passes = 0; // takes in a row that passed the front item over
};

// RAII form of Python's `try: ... finally: q.task_done()`: runs task_done() exactly once
// when the scope ends, whether by return or exception.
template <typename T>
class TaskDoneGuard {
public:
    explicit TaskDoneGuard(WorkQueue<T>& queue) : m_queue(queue) {}
    TaskDoneGuard(const TaskDoneGuard&) = delete;
    TaskDoneGuard& operator=(const TaskDoneGuard&) = delete;
    // task_done() throws only on underflow, which cannot happen here: the guard is made for
    // a task get() returned. Were it to happen anyway, join() could no longer be trusted, so
    // the process stops rather than going on with broken accounting.
    ~TaskDoneGuard() {
        try {
            m_queue.task_done();
        } catch (...) {
            std::terminate();
        }
    }

private:
    WorkQueue<T>& m_queue;
};

} // namespace imgfetch
