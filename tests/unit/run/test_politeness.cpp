// Politeness: the per-host cap (--per-host), the host-wide Retry-After backoff and
// --limit-rate. HostSlots and HostBackoff alone: test_host_slots.cpp, test_host_backoff.cpp. Here a
// WorkerPool with a fake handler, then the whole run against real servers on two loopback host
// names, 127.0.0.1 and 127.0.0.2, and finally the real executable.
#include "imgfetch/run/host_backoff.hpp"
#include "imgfetch/run/host_slots.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/app.hpp"
#include "imgfetch/cli/options.hpp"
#include "imgfetch/list/url.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/run/work_queue.hpp"
#include "imgfetch/run/worker_pool.hpp"
#include "support/bounded_wait.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/timing.hpp"
#include "unit/run/host_tasks.hpp"

namespace imgfetch {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using test::fake_png;
using test::seconds_of;
using test::seconds_since;
using test::task_for;
using test::TempDir;
using test::TestServer;

// --- HostSlots inside a WorkerPool (fake handler, real threads) ------------------------------

// Many tasks over a few hosts, a small window and backoffs recorded by the handler itself:
// every task runs exactly once, join() returns (nothing stranded in the gate), and no host
// ever has more than the cap in flight.
TEST(HostSlotsPool, NoTaskIsStrandedAndNoHostExceedsItsCap) {
    constexpr unsigned k_cap = 2;
    constexpr std::size_t k_tasks = 600;
    const std::vector<std::string> hosts{"a", "b", "c", "d"};
    HostBackoff backoff;
    HostSlots slots(k_cap, /*max_deferred=*/3, backoff);
    WorkQueue<Task> queue(8);
    ResultSink sink(KeepRecords::all);

    std::mutex mutex; // guards the two maps below
    std::map<std::string, unsigned> in_flight;
    std::map<std::string, unsigned> peak;
    std::atomic<std::size_t> runs{0};
    const auto handler = [&](const Task& task) {
        const std::string host = host_key(task.url);
        {
            const std::lock_guard lock(mutex);
            peak[host] = std::max(peak[host], ++in_flight[host]);
        }
        if (task.seq % 97 == 0) {
            backoff.back_off(host, 0.002); // exercise the backoff paths of admit() and release()
        }
        std::this_thread::yield();
        {
            const std::lock_guard lock(mutex);
            --in_flight[host];
        }
        ++runs;
        TransferResult result;
        result.seq = task.seq;
        result.status = Status::ok;
        return result;
    };
    {
        WorkerPool pool(
            8, queue, [&](unsigned) -> TaskHandler { return handler; }, sink, &slots);
        for (std::size_t seq = 0; seq < k_tasks; ++seq) {
            // Runs of one host, so the cap bites and tasks get parked.
            queue.put(task_for(hosts[(seq / 7) % hosts.size()], seq));
        }
        queue.join();
        queue.close();
        pool.join();
    }

    EXPECT_EQ(runs.load(), k_tasks);
    std::set<std::size_t> seqs;
    for (const TransferResult& result : sink.take_records()) {
        seqs.insert(result.seq);
    }
    EXPECT_EQ(seqs.size(), k_tasks) << "each task once";
    for (const auto& [host, most] : peak) {
        EXPECT_LE(most, k_cap) << host;
    }
    EXPECT_EQ(slots.deferred(), 0U);
}

// --- The whole run against two loopback host names ----------------------------------------

// What one server's handlers touch. Declared before the servers, so it outlives their threads.
struct HostRecord {
    test::ConcurrencyGauge gauge;
    std::mutex mutex;                         // guards the members below
    std::vector<Clock::time_point> requests;  // arrival of every image request
    std::optional<Clock::time_point> refused; // when the 429 was answered
    std::condition_variable arrived;          // notified on each request

    std::vector<Clock::time_point> times() {
        const std::lock_guard lock(mutex);
        return requests;
    }
};

class TwoHosts : public ::testing::Test {
protected:
    void SetUp() override {
        serve(a, a_record, a_delay);
        serve(b, b_record, b_delay);
    }

    // /img/<i>.png: an image after `delay` (the server is the slow party: simulated
    // latency); with refuse_first, the host's first request is answered 429, Retry-After: 1.
    void serve(TestServer& server, HostRecord& record, const std::chrono::milliseconds& delay) {
        server.server().Get(
            R"(/img/(\d+)\.png)",
            [this, &record, &delay](const httplib::Request& req, httplib::Response& res) {
                const test::ConcurrencyGauge::Scope on_host(record.gauge);
                const test::ConcurrencyGauge::Scope on_both(both);
                bool refuse = false;
                {
                    const std::lock_guard lock(record.mutex);
                    record.requests.push_back(Clock::now());
                    refuse = &record == &a_record && refuse_first_a && !record.refused;
                    if (refuse) {
                        record.refused = Clock::now();
                    }
                }
                record.arrived.notify_all();
                if (refuse) {
                    res.status = 429;
                    res.set_header("Retry-After", "1");
                    return;
                }
                std::this_thread::sleep_for(delay);
                res.set_content(fake_png(std::stoul(req.matches[1]), body_size), "image/png");
            });
    }

    static std::string urls(TestServer& server, int from, int count) {
        std::string text;
        for (int i = from; i < from + count; ++i) {
            text += server.url("/img/" + std::to_string(i) + ".png") + "\n";
        }
        return text;
    }

    std::string write_list(const std::string& text) {
        const auto path = temp / "urls.txt";
        test::write_file(path, text);
        return path.string();
    }

    Options options_for(const std::string& list, const std::string& out) {
        Options options;
        options.input.lists = {list};
        options.outputs.output_dir = (temp / out).string();
        options.outputs.report_file = (temp / (out + ".json")).string();
        options.logging.progress = false;
        return options;
    }

    json report(const std::string& out) {
        return json::parse(test::read_file(temp / (out + ".json")));
    }

    // Everything the handlers read or write, then the servers (destroyed first).
    TempDir temp;
    test::ConcurrencyGauge both;
    HostRecord a_record;
    HostRecord b_record;
    std::chrono::milliseconds a_delay{0};
    std::chrono::milliseconds b_delay{0};
    std::size_t body_size = 2048;
    bool refuse_first_a = false;
    TestServer a{"127.0.0.1"};
    TestServer b{"127.0.0.2"};
};

TEST_F(TwoHosts, PerHostCapsEachHostWhileTheOtherHostsWorkGoesOn) {
    a_delay = b_delay = std::chrono::milliseconds(150);
    // The yardstick: a's 20 URLs alone, 2 at a time (10 rounds of a request).
    Options one_host = options_for(write_list(urls(a, 0, 20)), "one");
    one_host.politeness.jobs = 8;
    one_host.politeness.per_host = 2;
    const double one_host_s = seconds_of([&] { EXPECT_EQ(run(one_host), 0); });
    // All of a's URLs, then all of b's: the workers must look past a's backlog for b's work.
    Options options = options_for(write_list(urls(a, 0, 20) + urls(b, 20, 20)), "two");
    options.politeness.jobs = 8;
    options.politeness.per_host = 2;

    const double two_hosts_s = seconds_of([&] { EXPECT_EQ(run(options), 0); });

    EXPECT_EQ(report("two")["summary"]["ok"], 40);
    EXPECT_LE(a_record.gauge.peak(), 2);
    EXPECT_LE(b_record.gauge.peak(), 2);
    EXPECT_GT(both.peak(), 2) << "b's transfers ran while a's were capped";
    // Side by side, twice the URLs take about as long as a's alone; one host after the
    // other would take twice as long.
    EXPECT_LT(two_hosts_s, 1.5 * one_host_s) << two_hosts_s << " s vs " << one_host_s << " s";
}

TEST_F(TwoHosts, WithoutPerHostOneHostGetsMoreThanTwoTransfersAtOnce) {
    a_delay = b_delay = std::chrono::milliseconds(150);
    Options options = options_for(write_list(urls(a, 0, 20) + urls(b, 20, 20)), "out");
    options.politeness.jobs = 8;

    EXPECT_EQ(run(options), 0);

    EXPECT_GT(a_record.gauge.peak(), 2);
}

TEST_F(TwoHosts, SequentialIgnoresPerHost) {
    Options options = options_for(write_list(urls(a, 0, 3) + urls(b, 3, 3)), "out");
    options.politeness.sequential = true;
    options.politeness.per_host = 1;

    EXPECT_EQ(run(options), 0);

    EXPECT_EQ(report("out")["summary"]["ok"], 6);
    EXPECT_EQ(both.peak(), 1);
}

TEST_F(TwoHosts, LimitRateSlowsEachTransferToTheGivenRate) {
    body_size = 200 * 1024;
    const std::string list = write_list(urls(a, 0, 1));
    Options limited = options_for(list, "limited");
    limited.transfer.limit_rate = 100 * 1024;
    Options unlimited = options_for(list, "unlimited");

    const double limited_s = seconds_of([&] { EXPECT_EQ(run(limited), 0); });
    const double unlimited_s = seconds_of([&] { EXPECT_EQ(run(unlimited), 0); });

    EXPECT_EQ(test::read_file(temp / "limited" / "0.png"), fake_png(0, body_size));
    // 200 KiB at 100 KiB/s is 2 s (less the first buffer curl reads at full speed).
    EXPECT_GE(limited_s, 1.2);
    EXPECT_LT(unlimited_s * 4, limited_s) << unlimited_s << " s vs " << limited_s << " s";
}

// a's first request is answered 429, Retry-After: 1 while three slow b requests keep the
// other workers busy; when they come back, a's next URLs are waiting. Without the host-wide
// backoff they would be requested at once; with it no worker asks a for a second, and the
// workers download b's URLs meanwhile.
TEST_F(TwoHosts, A429WithRetryAfterPausesTheWholeHostWhileOtherHostsContinue) {
    refuse_first_a = true;
    b_delay = std::chrono::milliseconds(300);
    Options options =
        options_for(write_list(urls(b, 100, 3) + urls(a, 0, 10) + urls(b, 103, 12)), "out");
    options.politeness.jobs = 4;
    options.transfer.retries = 1;

    EXPECT_EQ(run(options), 0) << "a's refused URL succeeds on its retry";

    const auto refused = [&] {
        const std::lock_guard lock(a_record.mutex);
        return a_record.refused;
    }();
    ASSERT_TRUE(refused);
    const auto window_end = *refused + std::chrono::milliseconds(800);
    int a_in_window = 0;
    for (const auto& when : a_record.times()) {
        a_in_window += when > *refused && when < window_end ? 1 : 0;
    }
    int b_in_window = 0;
    for (const auto& when : b_record.times()) {
        b_in_window += when > *refused && when < window_end ? 1 : 0;
    }
    EXPECT_EQ(a_in_window, 0) << "no worker asked a during its backoff";
    EXPECT_GE(b_in_window, 3) << "b's downloads went on meanwhile";
    EXPECT_EQ(a_record.times().size(), 11U) << "10 URLs and one retry";
}

TEST_F(TwoHosts, SequentialWaitsOutAHostsBackoffBeforeItsNextUrl) {
    refuse_first_a = true;
    Options options = options_for(write_list(urls(a, 0, 2)), "out");
    options.politeness.sequential = true;
    options.transfer.retries = 0;

    EXPECT_EQ(run(options), 1) << "the refused URL is not retried";

    const std::vector<Clock::time_point> times = a_record.times();
    ASSERT_EQ(times.size(), 2U);
    EXPECT_GE(std::chrono::duration<double>(times[1] - times[0]).count(), 0.8);
}

// Tasks parked in the gate when the run is interrupted are still reported, without a request.
TEST_F(TwoHosts, InterruptReportsParkedTasksAsNotStarted) {
    a_delay = std::chrono::milliseconds(300);
    Options options = options_for(write_list(urls(a, 0, 12)), "out");
    options.politeness.jobs = 4;
    options.politeness.per_host = 1;
    options.transfer.retries = 0;
    std::stop_source stop;

    int exit_code = -1;
    std::jthread runner([&] { exit_code = run(options, stop.get_token()); });
    {
        std::unique_lock lock(a_record.mutex);
        ASSERT_TRUE(a_record.arrived.wait_for(lock, test::k_hang_deadline, [&] {
            return !a_record.requests.empty();
        })) << "no request reached host a";
    }
    stop.request_stop();
    runner.join();

    EXPECT_NE(exit_code, 0);
    // Normally the main thread has read all 12 lines (12 < the queue's 16 slots) and the
    // workers have parked a's other tasks before a's first request arrives; on a loaded
    // machine fewer may have been read. Whatever was read is reported, and only what was
    // requested was started.
    const json files = report("out")["files"];
    ASSERT_GE(files.size(), 1U);
    std::size_t not_started = 0;
    for (const json& file : files) {
        EXPECT_EQ(file["status"], "failed");
        not_started += file["error"] == "interrupted before it started" ? 1 : 0;
    }
    const std::size_t requested = a_record.times().size();
    EXPECT_LE(requested, 2U);
    EXPECT_EQ(not_started + requested, files.size());
}

// The real executable: --per-host 1 keeps each host at one transfer while both hosts run.
TEST_F(TwoHosts, CommandLinePerHostCapsEachHost) {
    a_delay = b_delay = std::chrono::milliseconds(100);
    const std::string list = write_list(urls(a, 0, 6) + urls(b, 6, 6));
    const std::string out = (temp / "cli").string();

    const auto result = test::run_imgfetch(
        {"--per-host", "1", "-j", "4", "--quiet", "--no-progress", "-o", out, list}, temp.path());

    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(test::list_dir(out).size(), 12U);
    EXPECT_EQ(a_record.gauge.peak(), 1);
    EXPECT_EQ(b_record.gauge.peak(), 1);
    EXPECT_EQ(both.peak(), 2) << "the two hosts ran side by side";
}

} // namespace
} // namespace imgfetch
