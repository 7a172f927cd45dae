// TIFF (classic, either byte order): the header, then the IFD chain read in one pass: every IFD
// is parsed when the stream reaches it (its entries one at a time), every out-of-line value must
// lie inside the body, each IFD needs StripOffsets/StripByteCounts (or TileOffsets/
// TileByteCounts) of equal counts, and every strip or tile offset + byte count must lie inside
// the body (checked when it ends). Memory stays bounded: the regions still ahead (IFDs, offset
// and byte-count arrays) sit in a table of at most k_max_pending; the values of one IFD's first
// array wait for pairing in at most k_max_paired slots (16 KiB), and strips beyond that are
// checked one side at a time (offset inside the body). A region the stream has already passed
// (legal in TIFF, rare in practice) cannot be read in one pass: only its bounds are checked, and
// an IFD chain pointing backwards is not followed further. BigTIFF: only the header is checked.
#include <algorithm>
#include <string>
#include <vector>

#include "imgfetch/image/byte_walker.hpp"
#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

using detail::Bytes;

constexpr std::size_t k_max_pending = 64;
constexpr std::size_t k_max_paired = 4096;

constexpr std::uint32_t k_width = 256;
constexpr std::uint32_t k_height = 257;
constexpr std::uint32_t k_strip_offsets = 273;
constexpr std::uint32_t k_strip_counts = 279;
constexpr std::uint32_t k_tile_offsets = 324;
constexpr std::uint32_t k_tile_counts = 325;

std::uint32_t type_size(std::uint32_t type) {
    switch (type) {
    case 1:
    case 2:
    case 6:
    case 7:
        return 1;
    case 3:
    case 8:
        return 2;
    case 4:
    case 9:
    case 11:
    case 13:
        return 4;
    case 5:
    case 10:
    case 12:
        return 8;
    default:
        return 0; // unknown types are ignored, as the specification asks
    }
}

// Strip or tile locations of one IFD: either in the entry's 4-byte field or at an offset.
struct ValueArray {
    std::uint32_t type = 0;
    std::uint32_t count = 0;
    std::uint32_t field = 0;  // the value field as stored, in file byte order
    std::uint32_t offset = 0; // its meaning as an offset
    bool present = false;
    bool inline_values() const { return std::uint64_t{count} * type_size(type) <= 4; }
};

enum class Region { ifd, offsets, counts };

struct Pending {
    std::uint64_t offset;
    Region region;
    std::uint32_t ifd;   // which IFD it belongs to (for arrays)
    std::uint32_t type;  // array element type
    std::uint32_t count; // array length
};

class TiffValidator final : public detail::ByteWalker {
public:
    TiffValidator() : ByteWalker(ImageFormat::tiff) {}

private:
    enum class State { header, at_region, ifd_count, ifd_entry, next_ifd, array_value, bigtiff };

    Step start() override { return read(8); }

    Step next(Bytes bytes) override {
        switch (m_state) {
        case State::header:
            return on_header(bytes);
        case State::at_region:
            return at_region();
        case State::ifd_count:
            return on_ifd_count(u16(bytes));
        case State::ifd_entry:
            return on_entry(bytes);
        case State::next_ifd:
            return on_next_ifd(u32(bytes));
        case State::array_value:
            return on_array_value(bytes);
        case State::bigtiff:
            return end();
        }
        return corrupt("internal state");
    }

    std::string missing() const override {
        if (m_state == State::header) {
            return "no complete header";
        }
        const char* what = m_current.region == Region::ifd ? "IFD" : "strip or tile array";
        return std::string("no ") + what + " at offset " + std::to_string(m_current.offset);
    }

    std::optional<Problem> conclude(std::uint64_t length, bool ended) const override {
        if (!ended) {
            return Problem{ImageVerdict::truncated, missing()};
        }
        if (length < m_required) {
            return Problem{ImageVerdict::truncated, "data ends at " + std::to_string(m_required) +
                                                        ", the body has " + std::to_string(length)};
        }
        return std::nullopt;
    }

    std::uint32_t u16(Bytes b) const { return m_big_endian ? detail::be16(b) : detail::le16(b); }
    std::uint32_t u32(Bytes b) const { return m_big_endian ? detail::be32(b) : detail::le32(b); }

    void require(std::uint64_t end) { m_required = std::max(m_required, end); }

    Step on_header(Bytes bytes) {
        if (bytes[0] == 'M' && bytes[1] == 'M') {
            m_big_endian = true;
        } else if (bytes[0] != 'I' || bytes[1] != 'I') {
            return corrupt("no byte-order mark");
        }
        const std::uint32_t magic = u16(bytes.subspan(2));
        if (magic == 43) {
            m_state = State::bigtiff;
            return skip(0);
        }
        if (magic != 42) {
            return corrupt("magic number " + std::to_string(magic));
        }
        const std::uint32_t first = u32(bytes.subspan(4));
        if (first < 8) {
            return corrupt("first IFD at offset " + std::to_string(first));
        }
        add({first, Region::ifd, 0, 0, 0});
        return next_region();
    }

    void add(const Pending& region) {
        if (m_pending.size() >= k_max_pending) {
            require(region.offset + 1);
            return;
        }
        m_pending.push_back(region);
    }

    Step next_region() {
        while (!m_pending.empty()) {
            const auto nearest = std::min_element(
                m_pending.begin(), m_pending.end(),
                [](const Pending& a, const Pending& b) { return a.offset < b.offset; });
            m_current = *nearest;
            m_pending.erase(nearest);
            if (m_current.offset >= position()) {
                m_state = State::at_region;
                return skip(m_current.offset - position());
            }
            // Behind the stream: one pass cannot read it; its bounds are still checked.
            require(m_current.offset +
                    (m_current.region == Region::ifd
                         ? 2
                         : std::uint64_t{m_current.count} * type_size(m_current.type)));
        }
        return end();
    }

    Step at_region() {
        if (m_current.region == Region::ifd) {
            m_state = State::ifd_count;
            return read(2);
        }
        m_index = 0;
        m_state = State::array_value;
        return read(type_size(m_current.type));
    }

    Step on_ifd_count(std::uint32_t count) {
        if (count == 0) {
            return corrupt("IFD " + std::to_string(m_ifds) + " has no entries");
        }
        m_entries_left = count;
        m_offsets = {};
        m_counts = {};
        m_state = State::ifd_entry;
        return read(12);
    }

    Step on_entry(Bytes bytes) {
        const std::uint32_t tag = u16(bytes);
        ValueArray value{u16(bytes.subspan(2)), u32(bytes.subspan(4)), 0, u32(bytes.subspan(8)),
                         true};
        value.field = value.offset;
        const std::uint64_t size = std::uint64_t{value.count} * type_size(value.type);
        if (size > 4) {
            require(std::uint64_t{value.offset} + size);
        }
        const std::uint32_t small = value.type == 3 ? u16(bytes.subspan(8)) : value.offset;
        if (tag == k_width && m_ifds == 0) {
            m_facts.width = small;
        } else if (tag == k_height && m_ifds == 0) {
            m_facts.height = small;
        } else if (tag == k_strip_offsets || tag == k_tile_offsets) {
            m_offsets = value;
            m_offset_bytes.assign(bytes.begin() + 8, bytes.begin() + 12);
        } else if (tag == k_strip_counts || tag == k_tile_counts) {
            m_counts = value;
            m_count_bytes.assign(bytes.begin() + 8, bytes.begin() + 12);
        }
        if (--m_entries_left > 0) {
            return read(12);
        }
        m_state = State::next_ifd;
        return read(4);
    }

    Step on_next_ifd(std::uint32_t next_offset) {
        if (auto bad = schedule_strips()) {
            return corrupt(*bad);
        }
        ++m_ifds;
        if (next_offset != 0) {
            add({next_offset, Region::ifd, m_ifds, 0, 0});
        }
        return next_region();
    }

    // The IFD just read: its strip arrays, delivered now when inline, else scheduled.
    std::optional<std::string> schedule_strips() {
        const std::string ifd = "IFD " + std::to_string(m_ifds);
        if (!m_offsets.present || !m_counts.present) {
            return ifd + " has no strip or tile offsets and byte counts";
        }
        if (m_offsets.count != m_counts.count || m_offsets.count == 0) {
            return ifd + " has " + std::to_string(m_offsets.count) + " offsets but " +
                   std::to_string(m_counts.count) + " byte counts";
        }
        const auto element = [](std::uint32_t type) { return type == 3 || type == 4; };
        if (!element(m_offsets.type) || !element(m_counts.type)) {
            return ifd + " has strip arrays of type " + std::to_string(m_offsets.type) + "/" +
                   std::to_string(m_counts.type);
        }
        if (m_pairing_ifd == k_no_ifd) {
            m_pairing_ifd = m_ifds;
            m_first_region.reset();
            m_paired.clear();
            m_delivered = 0;
        }
        deliver_or_schedule(m_offsets, Region::offsets, m_offset_bytes);
        deliver_or_schedule(m_counts, Region::counts, m_count_bytes);
        return std::nullopt;
    }

    void deliver_or_schedule(const ValueArray& array, Region region,
                             const std::vector<std::uint8_t>& field) {
        if (!array.inline_values()) {
            add({array.offset, region, m_ifds, array.type, array.count});
            return;
        }
        const std::uint32_t size = type_size(array.type);
        for (std::uint32_t i = 0; i < array.count; ++i) {
            const Bytes at(field.data() + std::size_t{i} * size, size);
            deliver(m_ifds, region, i, array.count, size == 2 ? u16(at) : u32(at));
        }
    }

    Step on_array_value(Bytes bytes) {
        const std::uint32_t value = bytes.size() == 2 ? u16(bytes) : u32(bytes);
        deliver(m_current.ifd, m_current.region, m_index, m_current.count, value);
        if (++m_index < m_current.count) {
            return read(bytes.size());
        }
        return next_region();
    }

    // One strip/tile offset or byte count. The first array of the pairing IFD is kept (up to
    // k_max_paired values) until the other arrives; everything else is checked one side alone.
    void deliver(std::uint32_t ifd, Region region, std::uint32_t index, std::uint32_t count,
                 std::uint32_t value) {
        const bool pairing = ifd == m_pairing_ifd;
        if (pairing && !m_first_region) {
            m_first_region = region;
        }
        if (pairing && region == *m_first_region) {
            if (index < k_max_paired) {
                m_paired.push_back(value);
            } else if (region == Region::offsets) {
                require(std::uint64_t{value} + 1);
            }
        } else if (pairing && index < m_paired.size()) {
            const std::uint32_t other = m_paired[index];
            require(std::uint64_t{value} + other); // offset + byte count, either order
        } else if (region == Region::offsets) {
            require(std::uint64_t{value} + 1);
        }
        if (pairing && ++m_delivered == 2ULL * count) {
            m_pairing_ifd = k_no_ifd; // both arrays seen: the store is free for the next IFD
        }
    }

    static constexpr std::uint32_t k_no_ifd = 0xFFFFFFFFU;

    State m_state = State::header;
    bool m_big_endian = false;
    std::vector<Pending> m_pending; // at most k_max_pending
    Pending m_current{0, Region::ifd, 0, 0, 0};
    std::uint32_t m_index = 0;
    std::uint32_t m_entries_left = 0;
    std::uint32_t m_ifds = 0;
    ValueArray m_offsets;
    ValueArray m_counts;
    std::vector<std::uint8_t> m_offset_bytes; // the 4-byte value fields, for inline values
    std::vector<std::uint8_t> m_count_bytes;
    std::uint32_t m_pairing_ifd = k_no_ifd;
    std::optional<Region> m_first_region;
    std::vector<std::uint32_t> m_paired; // at most k_max_paired
    std::uint64_t m_delivered = 0;
    std::uint64_t m_required = 0; // the farthest byte any structure points at
};

} // namespace

std::unique_ptr<ImageValidator> make_tiff_validator() {
    return std::make_unique<TiffValidator>();
}

} // namespace imgfetch
