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

// A new field must be written and read below, or spilled results would lose it: this fails
// to compile until encode_result() and decode_result() have been looked at.
static_assert(sizeof(TransferResult) == 632,
              "TransferResult changed: update encode_result() and decode_result()");

std::size_t string_bytes(const TransferResult& r) {
    return r.url.size() + r.path.size() + r.http_version.size() + r.error.size() +
           (r.sha256 ? r.sha256->size() : 0) + r.source_url.size() + r.file_name.size() +
           r.format.size() + r.reason.size() + r.effective_url.size() + r.same_content_as.size() +
           r.page.size() + r.saved_name.size() + r.etag.size() + r.last_modified.size();
}

class Encoder {
public:
    template <typename T>
    void value(const T& v) {
        m_out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void text(const std::string& s) {
        value(static_cast<std::uint64_t>(s.size()));
        m_out += s;
    }
    template <typename T>
    void optional(const std::optional<T>& v) {
        value(static_cast<std::uint8_t>(v.has_value()));
        if (v) {
            if constexpr (std::is_same_v<T, std::string>) {
                text(*v);
            } else {
                value(*v);
            }
        }
    }
    std::string take() { return std::move(m_out); }

private:
    std::string m_out;
};

class Decoder {
public:
    explicit Decoder(const std::string& in) : m_in(in) {}
    template <typename T>
    void value(T& v) {
        need(sizeof v);
        std::memcpy(&v, m_in.data() + m_at, sizeof v);
        m_at += sizeof v;
    }
    void text(std::string& s) {
        std::uint64_t size = 0;
        value(size);
        need(size);
        s.assign(m_in, m_at, static_cast<std::size_t>(size));
        m_at += static_cast<std::size_t>(size);
    }
    template <typename T>
    void optional(std::optional<T>& v) {
        std::uint8_t present = 0;
        value(present);
        if (present == 0) {
            v.reset();
            return;
        }
        T inner{};
        if constexpr (std::is_same_v<T, std::string>) {
            text(inner);
        } else {
            value(inner);
        }
        v = std::move(inner);
    }

private:
    void need(std::uint64_t size) const {
        if (m_in.size() - m_at < size) {
            // Only a corrupted temporary file can get here.
            throw std::runtime_error("imgfetch's temporary file is corrupted");
        }
    }
    const std::string& m_in;
    std::size_t m_at = 0;
};

} // namespace

std::string encode_result(const TransferResult& r) {
    Encoder e;
    e.value(static_cast<std::uint64_t>(r.seq));
    e.value(static_cast<std::uint64_t>(r.line));
    e.text(r.url);
    e.text(r.path);
    e.value(static_cast<std::uint8_t>(r.status));
    e.optional(r.http_status);
    e.text(r.http_version);
    e.value(r.bytes);
    e.value(r.received);
    e.value(r.attempts);
    e.value(r.connections);
    e.value(r.tls_handshakes);
    e.optional(r.worker);
    e.optional(r.start);
    e.optional(r.end);
    e.text(r.error);
    e.optional(r.duplicate_of);
    e.optional(r.sha256);
    e.text(r.format);
    e.value(r.width);
    e.value(r.height);
    e.value(r.frames);
    e.text(r.reason);
    e.text(r.effective_url);
    e.text(r.same_content_as);
    e.text(r.page);
    e.text(r.source_url);
    e.text(r.file_name);
    e.text(r.saved_name);
    e.text(r.etag);
    e.text(r.last_modified);
    return e.take();
}

TransferResult decode_result(const std::string& bytes) {
    Decoder d(bytes);
    TransferResult r;
    std::uint64_t seq = 0;
    std::uint64_t line = 0;
    std::uint8_t status = 0;
    d.value(seq);
    d.value(line);
    r.seq = static_cast<std::size_t>(seq);
    r.line = static_cast<std::size_t>(line);
    d.text(r.url);
    d.text(r.path);
    d.value(status);
    r.status = static_cast<Status>(status);
    d.optional(r.http_status);
    d.text(r.http_version);
    d.value(r.bytes);
    d.value(r.received);
    d.value(r.attempts);
    d.value(r.connections);
    d.value(r.tls_handshakes);
    d.optional(r.worker);
    d.optional(r.start);
    d.optional(r.end);
    d.text(r.error);
    d.optional(r.duplicate_of);
    d.optional(r.sha256);
    d.text(r.format);
    d.value(r.width);
    d.value(r.height);
    d.value(r.frames);
    d.text(r.reason);
    d.text(r.effective_url);
    d.text(r.same_content_as);
    d.text(r.page);
    d.text(r.source_url);
    d.text(r.file_name);
    d.text(r.saved_name);
    d.text(r.etag);
    d.text(r.last_modified);
    return r;
}

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
    const std::size_t bytes = string_bytes(result);
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
            m_waiting_bytes -= string_bytes(first->second);
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
        m_waiting_bytes += string_bytes(result);
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
