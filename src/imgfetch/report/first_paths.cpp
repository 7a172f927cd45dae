#include "imgfetch/report/first_paths.hpp"

#include <cstdint>
#include <utility>

namespace imgfetch {

namespace {

// An index slot: where the path of one seq is.
struct PathSlot {
    std::uint64_t offset_plus_one = 0; // 0: no path recorded for this seq
    std::uint64_t size = 0;
};

} // namespace

FirstPaths::FirstPaths(std::string spill_dir)
    : m_paths("the paths of the results' entries", spill_dir),
      m_index("the index of the entries' paths", std::move(spill_dir)) {}

std::string FirstPaths::path_shown(const TransferResult& result) {
    if (result.status == Status::duplicate && result.duplicate_of) {
        return find(*result.duplicate_of).value_or(result.path);
    }
    record(result.seq, result.path);
    return result.path;
}

void FirstPaths::record(std::size_t seq, std::string_view path) {
    if (seq < m_indexed) {
        return;
    }
    // Dense by seq: a slot of zeros for each seq without a result (another shard's line).
    const PathSlot none;
    for (; m_indexed < seq; ++m_indexed) {
        m_index.append({reinterpret_cast<const char*>(&none), sizeof none});
    }
    const std::uint64_t offset = m_paths.append(path);
    const PathSlot slot{offset + 1, path.size()};
    m_index.append({reinterpret_cast<const char*>(&slot), sizeof slot});
    m_indexed = seq + 1;
}

std::optional<std::string> FirstPaths::find(std::size_t seq) const {
    if (seq >= m_indexed) {
        return std::nullopt;
    }
    PathSlot slot;
    m_index.read(seq * sizeof slot, &slot, sizeof slot);
    if (slot.offset_plus_one == 0) {
        return std::nullopt;
    }
    std::string path(static_cast<std::size_t>(slot.size), '\0');
    if (path.empty()) {
        return path;
    }
    m_paths.read(slot.offset_plus_one - 1, path.data(), path.size());
    return path;
}

} // namespace imgfetch
