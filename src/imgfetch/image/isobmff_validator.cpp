// AVIF and HEIC (ISOBMFF/HEIF): the top-level boxes, ftyp first, must add up to exactly the body
// (a partial box is a truncation; a size-0 box runs to the end), with a meta (or, for image
// sequences, moov) box and an mdat box (coded data; a file keeping all of it in meta's idat is
// rare and is refused as truncated: iloc is not read); inside meta, iprp and ipco
// every child box must fit in its parent. The brands in ftyp say avif or heic; the size is the
// ispe property that ipma associates with the primary item (pitm), else the largest ispe. Holds:
// a fixed stack of k_max_depth open boxes and at most k_max_sizes ispe properties. What it cannot
// see: damage inside mdat (the coded image) or in boxes it does not open (iloc, iinf, ...), and a
// cut exactly between two top-level boxes after mdat.
#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>

#include "imgfetch/image/byte_walker.hpp"
#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

using detail::be32;
using detail::be64;
using detail::Bytes;

constexpr std::size_t k_max_depth = 4;
constexpr std::size_t k_max_sizes = 16;

// An ispe property: its 1-based index among ipco's children and the size it states.
struct SizeProperty {
    std::uint32_t index = 0;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
};

bool is_one_of(std::string_view brand, std::initializer_list<std::string_view> brands) {
    for (const auto candidate : brands) {
        if (brand == candidate) {
            return true;
        }
    }
    return false;
}

class IsobmffValidator final : public detail::ByteWalker {
public:
    explicit IsobmffValidator(ImageFormat format) : ByteWalker(format) {}

private:
    enum class State {
        box_header,
        large_size,
        ftyp_head,
        brand,
        payload,
        ispe,
        pitm,
        ipma_head,
        ipma_item,
        ipma_count,
        ipma_association,
        to_end
    };

    Step start() override { return box_header(); }

    Step next(Bytes bytes) override {
        switch (m_state) {
        case State::box_header:
            return on_box_header(bytes);
        case State::large_size:
            return on_box(be64(bytes), 16);
        case State::ftyp_head:
            return on_ftyp_head(bytes);
        case State::brand:
            return on_brand(bytes);
        case State::payload:
            return after_box();
        case State::ispe:
            return on_ispe(bytes);
        case State::pitm:
            // Version 0 holds a 16-bit item ID, any other a 32-bit one: a box read as 6 bytes
            // (its payload is under 8) is too short for the latter.
            if (bytes[0] != 0 && bytes.size() < 8) {
                return corrupt("box pitm is too short for its version");
            }
            m_primary = bytes[0] == 0 ? detail::be16(bytes.subspan(4)) : be32(bytes.subspan(4));
            m_state = State::payload;
            return skip(m_end - position());
        case State::ipma_head:
            return on_ipma_head(bytes);
        case State::ipma_item:
            return on_ipma_item(bytes);
        case State::ipma_count:
            return on_ipma_count(bytes[0]);
        case State::ipma_association:
            return on_ipma_association(bytes);
        case State::to_end:
            return end();
        }
        return corrupt("internal state");
    }

    std::string missing() const override {
        return m_seen_ftyp ? "box " + m_type + " is cut short" : "no ftyp box";
    }

    std::optional<Problem> conclude(std::uint64_t length, bool ended) const override {
        const bool at_boundary =
            m_state == State::box_header && m_depth == 0 && m_boundary == length;
        if (!(ended || m_state == State::to_end || at_boundary)) {
            return Problem{ImageVerdict::truncated, missing()};
        }
        if (!m_seen_ftyp) {
            return Problem{ImageVerdict::truncated, "no ftyp box"};
        }
        if (!m_seen_meta) {
            return Problem{ImageVerdict::truncated, "no meta or moov box"};
        }
        if (!m_seen_data) {
            return Problem{ImageVerdict::truncated, "no mdat box"};
        }
        return std::nullopt;
    }

    Step box_header() {
        m_state = State::box_header;
        m_boundary = position();
        return read(8);
    }

    Step on_box_header(Bytes bytes) {
        m_type.assign(reinterpret_cast<const char*>(bytes.data() + 4), 4);
        const std::uint32_t size = be32(bytes);
        if (size == 1) {
            m_state = State::large_size;
            return read(8);
        }
        if (size == 0) {
            if (m_depth != 0) {
                return corrupt("box " + m_type + " of size 0 inside another box");
            }
            note_top_level();
            m_state = State::to_end;
            return skip(std::numeric_limits<std::uint64_t>::max());
        }
        return on_box(size, 8);
    }

    void note_top_level() {
        m_seen_meta = m_seen_meta || m_type == "meta" || m_type == "moov";
        m_seen_data = m_seen_data || m_type == "mdat";
    }

    Step on_box(std::uint64_t size, std::uint64_t header) {
        const std::uint64_t start = position() - header;
        if (size < header) {
            return corrupt("box " + m_type + " has size " + std::to_string(size));
        }
        m_end = start + size;
        if (m_depth > 0 && m_end > m_open[m_depth - 1]) {
            return corrupt("box " + m_type + " overruns its parent");
        }
        const std::uint64_t payload = size - header;
        if (!m_seen_ftyp) {
            if (m_type != "ftyp" || payload < 8) {
                return corrupt("first box is " + m_type + ", not ftyp");
            }
            m_seen_ftyp = true;
            m_state = State::ftyp_head;
            return read(8);
        }
        if (m_depth == 0) {
            note_top_level();
        }
        const bool container = (m_depth == 0 && m_type == "meta") ||
                               (m_depth == 1 && m_type == "iprp") ||
                               (m_depth == 2 && m_type == "ipco");
        if (container && m_depth < k_max_depth) {
            m_open.at(m_depth++) = m_end;
            m_state = State::payload;
            m_end = position() + (m_type == "meta" ? 4 : 0); // meta is a full box
            return skip(m_type == "meta" ? std::min<std::uint64_t>(4, payload) : 0);
        }
        m_property += m_depth == 3 ? 1 : 0;
        if (m_depth == 3 && m_type == "ispe" && payload >= 12) {
            m_state = State::ispe;
            return read(12);
        }
        if (m_depth == 1 && m_type == "pitm" && payload >= 6) {
            m_state = State::pitm;
            return read(payload >= 8 ? 8 : 6);
        }
        if (m_depth == 2 && m_type == "ipma" && payload >= 8) {
            m_state = State::ipma_head;
            return read(8);
        }
        m_state = State::payload;
        return skip(payload);
    }

    Step on_ftyp_head(Bytes bytes) {
        const std::string major(reinterpret_cast<const char*>(bytes.data()), 4);
        m_brands_left = (m_end - position()) / 4;
        refine(major);
        m_state = State::brand;
        return m_brands_left > 0 ? read(4) : skip(m_end - position());
    }

    Step on_brand(Bytes bytes) {
        if (bytes.empty()) {
            return after_box();
        }
        refine(std::string(reinterpret_cast<const char*>(bytes.data()), 4));
        if (--m_brands_left > 0) {
            return read(4);
        }
        return skip(m_end - position());
    }

    // The brands that make a file AVIF or HEIC; an "avif" brand anywhere wins over "mif1".
    void refine(const std::string& brand) {
        if (is_one_of(brand, {"avif", "avis"})) {
            m_facts.format = ImageFormat::avif;
        } else if (is_one_of(brand, {"heic", "heix", "heim", "heis", "hevc", "hevx"}) &&
                   m_facts.format != ImageFormat::avif) {
            m_facts.format = ImageFormat::heic;
        }
    }

    Step on_ispe(Bytes bytes) {
        const SizeProperty size{m_property, be32(bytes.subspan(4)), be32(bytes.subspan(8))};
        if (m_sizes_kept < k_max_sizes) {
            m_sizes.at(m_sizes_kept++) = size;
        }
        if (!m_primary_sized && std::uint64_t{size.width} * size.height >
                                    std::uint64_t{m_facts.width} * m_facts.height) {
            m_facts.width = size.width;
            m_facts.height = size.height;
        }
        m_state = State::payload;
        return skip(m_end - position());
    }

    // ipma: version/flags, entry count, then per item its ID, association count and
    // associations (property indexes, 7 or 15 bits).
    Step on_ipma_head(Bytes bytes) {
        m_ipma_version = bytes[0];
        m_ipma_wide = (bytes[3] & 1U) != 0;
        m_left = be32(bytes.subspan(4));
        return ipma_item();
    }

    Step ipma_item() {
        if (m_left == 0) {
            m_state = State::payload;
            return skip(m_end - position());
        }
        --m_left;
        m_state = State::ipma_item;
        return read_inside(m_ipma_version < 1 ? 2 : 4);
    }

    Step on_ipma_item(Bytes bytes) {
        m_item = bytes.size() == 2 ? detail::be16(bytes) : be32(bytes);
        m_state = State::ipma_count;
        return read_inside(1);
    }

    Step on_ipma_count(std::uint8_t count) {
        m_associations = count;
        return ipma_association();
    }

    Step ipma_association() {
        if (m_associations == 0) {
            return ipma_item();
        }
        --m_associations;
        m_state = State::ipma_association;
        return read_inside(m_ipma_wide ? 2 : 1);
    }

    Step on_ipma_association(Bytes bytes) {
        const std::uint32_t index =
            bytes.size() == 2 ? detail::be16(bytes) & 0x7FFFU : bytes[0] & 0x7FU;
        if (m_item == m_primary && m_primary != 0) {
            for (std::size_t i = 0; i < m_sizes_kept; ++i) {
                if (m_sizes.at(i).index == index) {
                    m_facts.width = m_sizes.at(i).width;
                    m_facts.height = m_sizes.at(i).height;
                    m_primary_sized = true;
                }
            }
        }
        return ipma_association();
    }

    // A read that must stay inside the current box.
    Step read_inside(std::size_t count) {
        if (position() + count > m_end) {
            return corrupt("box " + m_type + " overruns its size");
        }
        return read(count);
    }

    // After a box (or a container's header): close the boxes that end here, then the next.
    Step after_box() {
        while (m_depth > 0 && position() == m_open[m_depth - 1]) {
            --m_depth;
        }
        return box_header();
    }

    State m_state = State::box_header;
    std::string m_type;
    std::uint64_t m_end = 0;                         // where the current box (or header part) ends
    std::uint64_t m_boundary = 0;                    // where the last box header began
    std::array<std::uint64_t, k_max_depth> m_open{}; // ends of the open containers
    std::size_t m_depth = 0;
    std::uint64_t m_brands_left = 0;
    bool m_seen_ftyp = false;
    bool m_seen_meta = false;
    bool m_seen_data = false;
    std::uint32_t m_property = 0; // ipco children so far
    std::array<SizeProperty, k_max_sizes> m_sizes{};
    std::size_t m_sizes_kept = 0;
    std::uint32_t m_primary = 0; // pitm's item ID; 0: none seen
    bool m_primary_sized = false;
    std::uint8_t m_ipma_version = 0;
    bool m_ipma_wide = false;
    std::uint32_t m_left = 0;         // ipma entries still to read
    std::uint32_t m_item = 0;         // the current ipma entry's item
    std::uint32_t m_associations = 0; // its associations still to read
};

} // namespace

std::unique_ptr<ImageValidator> make_isobmff_validator(ImageFormat format) {
    return std::make_unique<IsobmffValidator>(format);
}

} // namespace imgfetch
