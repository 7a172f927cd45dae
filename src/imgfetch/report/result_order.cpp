#include "imgfetch/report/result_order.hpp"
#include "imgfetch/util/error_text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace imgfetch {

namespace {

// Slots of the spilled index read at once (4 KiB): results spilled while one slow URL holds
// the order back have nearly consecutive seqs, so one read serves a run of them.
constexpr std::size_t k_block_slots = 256;

} // namespace

ResultOrder::ResultOrder(Emit emit) : ResultOrder(std::move(emit), Limits{}) {}

ResultOrder::ResultOrder(Emit emit, Limits limits)
    : m_emit(std::move(emit)), m_limits(std::move(limits)) {}

ResultOrder::~ResultOrder() = default;

void ResultOrder::expect(std::size_t seq) {
    m_expected.insert(seq);
    m_accounted = std::max(m_accounted, seq);
    advance(); // the seqs below `seq` that never come no longer hold the order back
}

void ResultOrder::add(TransferResult result) {
    m_expected.erase(result.seq);
    if (result.seq <= m_next) {
        // Its turn (the common case: no waiting), or a seq seen before (never expected):
        // emitted at once either way, never lost.
        if (result.seq == m_next) {
            ++m_next;
        }
        m_emit(std::move(result));
        advance();
        return;
    }
    const std::size_t bytes = result_string_bytes(result);
    if (m_waiting.size() < m_limits.memory_records &&
        m_waiting_bytes + bytes <= m_limits.memory_bytes) {
        m_waiting_bytes += bytes;
        m_waiting.emplace(result.seq, std::move(result));
        m_peak_waiting = std::max(m_peak_waiting, m_waiting.size());
    } else {
        spill(std::move(result));
    }
    advance();
}

void ResultOrder::advance() {
    for (;;) {
        // Everything for m_next, from memory and from the spill file (a seq twice, never in a
        // run, is passed on too: never lost).
        bool emitted = false;
        while (!m_waiting.empty() && m_waiting.begin()->first <= m_next) {
            auto first = m_waiting.begin();
            m_waiting_bytes -= result_string_bytes(first->second);
            TransferResult result = std::move(first->second);
            m_waiting.erase(first);
            emitted = emitted || result.seq == m_next;
            m_emit(std::move(result));
        }
        if (m_spilled > 0 && m_next <= m_spilled_max && emit_spilled(m_next)) {
            emitted = true;
        }
        if (emitted || (m_next < m_accounted && m_expected.count(m_next) == 0)) {
            ++m_next; // done, or a seq that never comes (a line of another shard)
            continue;
        }
        return;
    }
}

void ResultOrder::finish() {
    m_expected.clear();
    while (!m_waiting.empty() || m_spilled > 0) {
        if (m_spilled == 0) {
            m_next = std::max(m_next, m_waiting.begin()->first); // skip what never came
        }
        m_accounted = m_next + 1; // m_next itself is missing if it is not here
        advance();
    }
}

bool ResultOrder::emit_spilled(std::size_t seq) {
    const IndexSlot slot = slot_at(seq);
    if (slot.offset_plus_one == 0) {
        return false;
    }
    std::string bytes(static_cast<std::size_t>(slot.size), '\0');
    m_log->read(slot.offset_plus_one - 1, bytes.data(), bytes.size());
    TransferResult result = decode_result(bytes); // may throw: count it out only once decoded
    --m_spilled;
    m_emit(std::move(result));
    return true;
}

void ResultOrder::spill(TransferResult&& result) {
    if (!m_log) {
        m_log.emplace("results waiting for their turn in list order", m_limits.spill_dir);
        m_index = SpillFile::create(m_limits.spill_dir);
        if (!m_index) {
            spdlog::warn("cannot use a temporary file in '{}' ({}): the index of results waiting "
                         "for their turn is kept in memory",
                         m_limits.spill_dir, error_text(errno));
        }
    }
    if (slot_at(result.seq).offset_plus_one != 0) {
        // The same seq twice (never in a run): the second one waits in memory.
        m_waiting_bytes += result_string_bytes(result);
        m_waiting.emplace(result.seq, std::move(result));
        return;
    }
    const std::string bytes = encode_result(result);
    const std::uint64_t offset = m_log->append(bytes);
    set_slot(result.seq, IndexSlot{offset + 1, bytes.size()});
    ++m_spilled;
    ++m_total_spilled;
    m_spilled_max = std::max(m_spilled_max, result.seq);
}

ResultOrder::IndexSlot ResultOrder::slot_at(std::size_t seq) {
    // Slots the file could not take (no file, or a full $TMPDIR) are kept in memory.
    if (const auto found = m_memory_index.find(seq); found != m_memory_index.end()) {
        return found->second;
    }
    if (!m_index) {
        return IndexSlot{};
    }
    const std::size_t start = seq - seq % k_block_slots;
    if (m_block.empty() || start != m_block_start) {
        m_block.assign(k_block_slots, IndexSlot{});
        m_block_start = start;
        // The file holds whole blocks (set_slot): a block is in it, holes reading as zeros,
        // or wholly past its end (no slot set there yet).
        if ((start + k_block_slots) * sizeof(IndexSlot) <= m_index_size) {
            m_index->read(start * sizeof(IndexSlot), m_block.data(),
                          k_block_slots * sizeof(IndexSlot));
        }
    }
    return m_block[seq - start];
}

void ResultOrder::set_slot(std::size_t seq, const IndexSlot& slot) {
    if (!m_index) {
        m_memory_index[seq] = slot;
        return;
    }
    const std::uint64_t block_end = (seq / k_block_slots + 1) * k_block_slots * sizeof(IndexSlot);
    // Grows in whole blocks, sparse: the holes cost no disk and read as zeros.
    const bool grown = block_end <= m_index_size || m_index->resize(block_end);
    if (grown) {
        m_index_size = std::max(m_index_size, block_end);
    }
    if (!grown || !m_index->write(seq * sizeof(IndexSlot), &slot, sizeof slot)) {
        // A full $TMPDIR: this slot stays in memory (correct, only bigger), never lost.
        if (!m_index_write_failed) {
            m_index_write_failed = true;
            spdlog::warn("cannot write a temporary file in '{}' ({}): results waiting for their "
                         "turn are indexed in memory",
                         m_limits.spill_dir, error_text(errno));
        }
        m_memory_index[seq] = slot;
        return;
    }
    if (!m_block.empty() && seq >= m_block_start && seq < m_block_start + k_block_slots) {
        m_block[seq - m_block_start] = slot;
    }
}

} // namespace imgfetch
