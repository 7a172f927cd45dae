#include "imgfetch/report/result_order.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <latch>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/report/failed_list.hpp"
#include "imgfetch/report/report.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

TransferResult result_for(std::size_t seq) {
    TransferResult r;
    r.seq = seq;
    r.line = seq + 1;
    r.url = "http://127.0.0.1/img/" + std::to_string(seq) + ".png";
    r.source_url = r.url;
    r.file_name = std::to_string(seq) + ".png";
    if (seq % 3 == 0) {
        r.status = Status::failed;
        r.error = "HTTP 404";
        r.http_status = 404;
    } else {
        r.status = Status::ok;
        r.path = "out/" + r.file_name;
        r.bytes = 1000 + seq;
        r.sha256 = std::string(64, 'a');
    }
    r.http_version = "1.1";
    r.attempts = 1;
    r.worker = static_cast<unsigned>(seq % 8);
    r.start = 0.001 * static_cast<double>(seq);
    r.end = 0.001 * static_cast<double>(seq) + 0.0005;
    return r;
}

std::vector<std::size_t> scrambled(std::size_t first, std::size_t count) {
    std::vector<std::size_t> seqs(count);
    std::iota(seqs.begin(), seqs.end(), first);
    std::shuffle(seqs.begin(), seqs.end(), std::mt19937(12345));
    return seqs;
}

ResultOrder::Limits small_limits(const TempDir& dir) {
    ResultOrder::Limits limits;
    limits.memory_records = 16;
    limits.spill_dir = dir.path().string();
    return limits;
}

// The report as the code before streaming wrote it: one nlohmann document, dumped once.
std::string reference_report(const RunInfo& info, const Summary& summary,
                             const std::vector<TransferResult>& records) {
    using ojson = nlohmann::ordered_json;
    const auto or_null_text = [](const std::string& s) { return s.empty() ? ojson() : ojson(s); };
    ojson files = ojson::array();
    for (const TransferResult& r : records) {
        std::string path = r.path;
        if (r.status == Status::duplicate && r.duplicate_of && *r.duplicate_of < records.size()) {
            path = records[*r.duplicate_of].path;
        }
        files.push_back(ojson{{"line", r.line},
                              {"url", or_null_text(r.url)},
                              {"path", or_null_text(path)},
                              {"status", std::string(to_string(r.status))},
                              {"http_status", r.http_status ? ojson(*r.http_status) : ojson()},
                              {"http_version", or_null_text(r.http_version)},
                              {"bytes", r.bytes},
                              {"received", r.received},
                              {"resumed_from", r.resumed_from},
                              {"attempts", r.attempts},
                              {"worker", r.worker ? ojson(*r.worker) : ojson()},
                              {"start", r.start ? ojson(*r.start) : ojson()},
                              {"end", r.end ? ojson(*r.end) : ojson()},
                              {"error", or_null_text(r.error)},
                              {"sha256", r.sha256 ? ojson(*r.sha256) : ojson()},
                              {"format", or_null_text(r.format)},
                              {"width", r.width == 0 ? ojson() : ojson(r.width)},
                              {"height", r.height == 0 ? ojson() : ojson(r.height)},
                              {"frames", r.frames == 0 ? ojson() : ojson(r.frames)},
                              {"reason", or_null_text(r.reason)},
                              {"effective_url", or_null_text(r.effective_url)},
                              {"duplicate_of", or_null_text(r.same_content_as)},
                              {"page", or_null_text(r.page)}});
    }
    const ojson report{{"version", 1},
                       {"mode", info.mode},
                       {"jobs", info.jobs},
                       {"started", info.started},
                       {"seconds", info.seconds},
                       {"summary",
                        {{"total", summary.total},
                         {"ok", summary.ok},
                         {"failed", summary.failed},
                         {"skipped", summary.skipped},
                         {"not_modified", summary.not_modified},
                         {"duplicate", summary.duplicate},
                         {"filtered", summary.filtered},
                         {"bytes", summary.bytes},
                         {"connections", summary.connections},
                         {"tls_handshakes", summary.tls_handshakes}}},
                       {"files", std::move(files)}};
    return report.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

TEST(ResultOrder, AHeldBackFirstResultKeepsOnlyTheBoundInMemoryAndTheRestComesOutInListOrder) {
    const TempDir dir;
    std::vector<TransferResult> emitted;
    ResultOrder order([&](TransferResult&& r) { emitted.push_back(std::move(r)); },
                      small_limits(dir));

    for (const std::size_t seq : scrambled(1, 999)) {
        order.add(result_for(seq));
    }
    EXPECT_TRUE(emitted.empty()) << "seq 0 has not arrived: nothing may pass it";
    EXPECT_EQ(order.waiting_in_memory(), 16U) << "the bound, not the list";
    EXPECT_EQ(order.waiting_spilled(), 999U - 16U);

    order.add(result_for(0));

    ASSERT_EQ(emitted.size(), 1000U) << "the held-back one frees them all, before finish()";
    EXPECT_LE(order.peak_waiting_in_memory(), 16U);
    for (std::size_t i = 0; i < emitted.size(); ++i) {
        const TransferResult expected = result_for(i);
        ASSERT_EQ(emitted[i].seq, i);
        EXPECT_EQ(encode_result(emitted[i]), encode_result(expected)) << "seq " << i;
    }
    EXPECT_EQ(order.waiting_in_memory() + order.waiting_spilled(), 0U);
}

TEST(ResultOrder, ResultsInTheirTurnPassStraightThroughWithoutWaiting) {
    std::vector<std::size_t> emitted;
    ResultOrder order([&](TransferResult&& r) { emitted.push_back(r.seq); });
    for (std::size_t seq = 0; seq < 100; ++seq) {
        order.add(result_for(seq));
        EXPECT_EQ(emitted.size(), seq + 1);
    }
    EXPECT_EQ(order.peak_waiting_in_memory(), 0U);
}

TEST(ResultOrder, ExpectedSeqsLetOrderPassTheGapsOfOtherShards) {
    // Shard-like: only even seqs have results. expect() says which are coming.
    std::vector<std::size_t> emitted;
    ResultOrder order([&](TransferResult&& r) { emitted.push_back(r.seq); });
    order.expect(0);
    order.expect(2);
    order.expect(4);
    order.add(result_for(4));
    order.add(result_for(2));
    EXPECT_TRUE(emitted.empty()) << "0 is expected and missing";
    order.add(result_for(0));
    EXPECT_EQ(emitted, (std::vector<std::size_t>{0, 2, 4})) << "1 and 3 never come";
    order.expect(8);
    order.add(result_for(8));
    EXPECT_EQ(emitted, (std::vector<std::size_t>{0, 2, 4, 8}));
}

TEST(ResultOrder, WithoutExpectAGapWaitsForFinishWhichEmitsEverythingInOrder) {
    const TempDir dir;
    std::vector<std::size_t> emitted;
    ResultOrder order([&](TransferResult&& r) { emitted.push_back(r.seq); }, small_limits(dir));
    order.add(result_for(0));
    for (const std::size_t seq : scrambled(2, 100)) { // 1 never comes (interrupted)
        order.add(result_for(seq));
    }
    EXPECT_EQ(emitted, (std::vector<std::size_t>{0}));

    order.finish();

    std::vector<std::size_t> expected{0};
    for (std::size_t seq = 2; seq < 102; ++seq) {
        expected.push_back(seq);
    }
    EXPECT_EQ(emitted, expected);
}

TEST(ResultOrder, TheSameSeqTwiceIsPassedOnNotLost) {
    const TempDir dir;
    ResultOrder::Limits limits = small_limits(dir);
    limits.memory_records = 1; // the second 3 meets a spilled 3
    std::vector<std::size_t> emitted;
    ResultOrder order([&](TransferResult&& r) { emitted.push_back(r.seq); }, limits);
    order.add(result_for(2));
    order.add(result_for(2));
    order.add(result_for(3));
    order.add(result_for(3));
    order.add(result_for(0));
    order.add(result_for(1));
    EXPECT_EQ(emitted, (std::vector<std::size_t>{0, 1, 2, 2, 3, 3}));
}

TEST(ResultOrder, EncodingKeepsEveryReportedField) {
    TransferResult r = result_for(7);
    r.duplicate_of = 3;
    r.url = std::string("http://h/\xff\0x", 12);
    r.sha256.reset();
    r.worker.reset();
    r.connections = 2;
    r.tls_handshakes = 1;
    r.page = "http://h/gallery.html";
    const TransferResult back = decode_result(encode_result(r));
    EXPECT_EQ(back.seq, r.seq);
    EXPECT_EQ(back.line, r.line);
    EXPECT_EQ(back.url, r.url);
    EXPECT_EQ(back.path, r.path);
    EXPECT_EQ(back.status, r.status);
    EXPECT_EQ(back.http_status, r.http_status);
    EXPECT_EQ(back.http_version, r.http_version);
    EXPECT_EQ(back.bytes, r.bytes);
    EXPECT_EQ(back.attempts, r.attempts);
    EXPECT_EQ(back.connections, r.connections);
    EXPECT_EQ(back.tls_handshakes, r.tls_handshakes);
    EXPECT_EQ(back.worker, r.worker);
    EXPECT_EQ(back.start, r.start);
    EXPECT_EQ(back.end, r.end);
    EXPECT_EQ(back.error, r.error);
    EXPECT_EQ(back.duplicate_of, r.duplicate_of);
    EXPECT_EQ(back.sha256, r.sha256);
    EXPECT_EQ(back.source_url, r.source_url);
    EXPECT_EQ(back.file_name, r.file_name);
    EXPECT_EQ(back.page, r.page);
}

// Collects what a streaming sink hands on. Called under the sink's lock only.
class Recorder final : public ResultConsumer {
public:
    void take(const TransferResult& result) noexcept override { seqs.push_back(result.seq); }
    std::vector<std::size_t> seqs;
};

TEST(ResultSink, StreamsResultsFromManyThreadsInListOrderWhileTheFirstIsHeldBack) {
    const TempDir dir;
    Recorder recorder;
    ResultOrder::Limits limits = small_limits(dir);
    ResultSink sink(recorder, limits);
    constexpr std::size_t k_threads = 4;
    constexpr std::size_t k_per_thread = 500;
    const std::vector<std::size_t> seqs = scrambled(1, k_threads * k_per_thread);
    {
        std::vector<std::jthread> threads;
        for (std::size_t t = 0; t < k_threads; ++t) {
            threads.emplace_back([&sink, &seqs, t] {
                for (std::size_t i = t * k_per_thread; i < (t + 1) * k_per_thread; ++i) {
                    sink.add(result_for(seqs[i]));
                }
            });
        }
    }
    EXPECT_TRUE(recorder.seqs.empty());
    sink.add(result_for(0));
    sink.finish();

    ASSERT_EQ(recorder.seqs.size(), k_threads * k_per_thread + 1);
    for (std::size_t i = 0; i < recorder.seqs.size(); ++i) {
        ASSERT_EQ(recorder.seqs[i], i);
    }
    EXPECT_EQ(sink.summary().total, k_threads * k_per_thread + 1);
    EXPECT_TRUE(sink.take_records().empty()) << "a streaming sink keeps no records";
}

TEST(JsonReportWriter, WritesByteForByteTheOneDocumentReport) {
    const RunInfo info{"pool", 8, "2026-12-01T07:00:00.000Z", 12.345678};
    Summary summary;
    summary.total = 3;
    summary.ok = 2;
    summary.bytes = 77;
    std::vector<TransferResult> records;
    for (std::size_t seq = 0; seq < 5; ++seq) {
        records.push_back(result_for(seq));
    }
    records[2].url = "http://h/\xff\xfe.png"; // invalid UTF-8, replaced alike
    records[2].error = "bad \x01 byte";
    TransferResult again;
    again.seq = 5;
    again.line = 6;
    again.url = records[1].url;
    again.status = Status::duplicate;
    again.duplicate_of = 1;
    records.push_back(again);
    TransferResult again_failed = again;
    again_failed.seq = 6;
    again_failed.duplicate_of = 0; // its first occurrence has no file
    records.push_back(again_failed);

    EXPECT_EQ(render_json_report(info, summary, records), reference_report(info, summary, records));
    EXPECT_EQ(render_json_report(info, summary, {}), reference_report(info, summary, {}))
        << "no files: an empty array";
    EXPECT_EQ(render_json_report(info, summary, {records[0]}),
              reference_report(info, summary, {records[0]}));
}

TEST(JsonReportWriter, HoldsABoundedBufferHoweverManyEntriesAndWritesThemAllToTheFile) {
    const TempDir dir;
    JsonReportWriter writer(dir.path().string());
    std::vector<TransferResult> records;
    for (std::size_t seq = 0; seq < 5000; ++seq) { // ~2.5 MB of entries
        records.push_back(result_for(seq));
        writer.add(records.back());
    }
    TransferResult late_duplicate;
    late_duplicate.seq = 5000;
    late_duplicate.line = 5001;
    late_duplicate.status = Status::duplicate;
    late_duplicate.duplicate_of = 1; // long since spilled
    records.push_back(late_duplicate);
    writer.add(late_duplicate);

    EXPECT_LT(writer.memory_bytes(), std::size_t{512} << 10);

    const RunInfo info{"pool", 8, "t", 1.5};
    const Summary summary{5001, 3333, 1667, 0, 0, 1, 123};
    const std::string path = (dir / "report.json").string();
    writer.write(path, info, summary);
    const std::string written = test::read_file(path);
    EXPECT_EQ(written, reference_report(info, summary, records));
    EXPECT_EQ(nlohmann::json::parse(written)["files"][5000]["path"], "out/1.png");
    EXPECT_FALSE(std::filesystem::exists(path + ".part"));
}

TEST(FailedListWriter, WritesWhatRenderFailedListWouldInBoundedMemory) {
    const TempDir dir;
    FailedListWriter writer(dir.path().string());
    std::vector<TransferResult> records;
    for (std::size_t seq = 0; seq < 20000; ++seq) { // ~7,000 failed lines, ~300 KB
        records.push_back(result_for(seq));
        writer.add(records.back());
    }
    records.push_back(failed_result(20000, 20001, "https://me:s3cret@h/a.png", "refused"));
    writer.add(records.back());
    EXPECT_LT(writer.memory_bytes(), std::size_t{256} << 10);

    const FailedList expected = render_failed_list(records, /*interrupted=*/true);
    const FailedList rendered = writer.render(/*interrupted=*/true);
    EXPECT_EQ(rendered.text, expected.text);
    EXPECT_TRUE(rendered.has_credentials);

    const std::string path = (dir / "failed.txt").string();
    writer.write(path, /*interrupted=*/true);
    EXPECT_EQ(test::read_file(path), expected.text);
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << "credentials inside: 0600";
}

} // namespace
} // namespace imgfetch
