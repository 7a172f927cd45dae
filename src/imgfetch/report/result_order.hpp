#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "imgfetch/report/result_encoding.hpp"
#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/string_table.hpp"

namespace imgfetch {

// Puts results back in list order (by seq) while a run goes on, in bounded memory: results
// arrive from the workers out of order, and the report, the failed list and the timeline are
// written in list order. A result is handed to `emit` as soon as every result before it in
// the list has been; until then it waits here.
//
// Which seqs come: the main thread calls expect(seq) before it hands a task to a worker. That
// also says every seq below it that will have a result has been added or expected (the main
// thread reads the list in order), so a gap below it (a line of another --shard) is known
// never to come and does not hold the order back. Without expect() calls only seq 0, 1, 2...
// in a row flow on before finish().
//
// A single slow URL can hold the order back for the rest of the run: past `memory_records`
// waiting results (or `memory_bytes` of their strings), the ones that arrive are encoded into
// a SpillLog in `spill_dir` and found again through an index of 16 bytes per seq in a
// SpillFile (unnamed temporary files, page cache, not RSS). When no spill file can be made,
// they stay in memory (correct, only bigger).
//
// Not thread-safe: its owner (ResultSink) serialises every call.
class ResultOrder {
public:
    struct Limits {
        std::size_t memory_records = 1024;
        std::size_t memory_bytes = std::size_t{4} << 20;
        std::string spill_dir = default_spill_dir();
    };

    using Emit = std::function<void(TransferResult&&)>;

    explicit ResultOrder(Emit emit);
    ResultOrder(Emit emit, Limits limits);
    ~ResultOrder();
    ResultOrder(const ResultOrder&) = delete;
    ResultOrder& operator=(const ResultOrder&) = delete;

    // A result for `seq` will come (its task is about to be handed to a worker), and every
    // seq below it that will have a result has been added or expected. Emits what that frees.
    void expect(std::size_t seq);

    // Takes a result; emits it, and whatever waited for it, when its turn has come.
    void add(TransferResult result);

    // The end of the run (also an interrupted one): emits every waiting result in seq order,
    // whatever is missing before it. Call once, after the last add().
    void finish();

    // Results waiting in memory, and waiting in the spill file.
    std::size_t waiting_in_memory() const { return m_waiting.size(); }
    std::size_t waiting_spilled() const { return m_spilled; }
    // The most results that ever waited in memory at once; how many ever waited spilled.
    std::size_t peak_waiting_in_memory() const { return m_peak_waiting; }
    std::size_t total_spilled() const { return m_total_spilled; }

private:
    // A spilled result: where its encoding is in the log. Zero: none for this seq.
    struct IndexSlot {
        std::uint64_t offset_plus_one = 0;
        std::uint64_t size = 0;
    };

    void advance();
    bool emit_spilled(std::size_t seq);
    void spill(TransferResult&& result);
    IndexSlot slot_at(std::size_t seq);
    void set_slot(std::size_t seq, const IndexSlot& slot);

    Emit m_emit;
    Limits m_limits;
    std::size_t m_next = 0;      // every seq below it has been emitted or never comes
    std::size_t m_accounted = 0; // every seq below it that will come has been added or expected
    std::set<std::size_t> m_expected; // expected, not yet added: bounded by the tasks in flight

    std::multimap<std::size_t, TransferResult> m_waiting; // in memory, by seq
    std::size_t m_waiting_bytes = 0;                      // their strings
    std::size_t m_peak_waiting = 0;

    // Spilled: encodings in m_log; m_index holds an IndexSlot at seq * sizeof(IndexSlot), read
    // a block of slots at a time (m_block, from seq m_block_start). Made on the first spill.
    std::optional<SpillLog> m_log;
    std::optional<SpillFile> m_index;
    std::uint64_t m_index_size = 0;                  // bytes, whole blocks
    std::map<std::size_t, IndexSlot> m_memory_index; // slots no index file could take
    bool m_index_write_failed = false;               // warned once about a full $TMPDIR
    std::vector<IndexSlot> m_block;
    std::size_t m_block_start = 0;
    std::size_t m_spilled = 0;       // spilled, not yet emitted
    std::size_t m_spilled_max = 0;   // the highest seq ever spilled
    std::size_t m_total_spilled = 0; // ever
};

} // namespace imgfetch
