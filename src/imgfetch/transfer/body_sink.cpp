#include "imgfetch/transfer/body_sink.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include "imgfetch/transfer/content_check.hpp"
#include "imgfetch/transfer/image_filter.hpp"

namespace imgfetch {

namespace {

// Pieces shorter than this are gathered into one write; longer ones are written as they come.
// libcurl hands a body over in pieces of at most 16 KiB (CURL_MAX_WRITE_SIZE), so a full piece
// goes straight to the file and only the short ones (a body's tail, the rest of a socket read,
// small HTTP/2 frames) are copied. Gathering full pieces into 64 KiB writes was measured to cost
// more CPU than it saved on Linux 6.18, tmpfs and ext4 alike: 2000 files of 53 KiB took 0.48 s
// of CPU as one write each, 0.36 s as four 16 KiB writes (the copy aside, one large write costs
// the kernel more than four small ones).
constexpr std::size_t k_write_gather_bytes = 16 * 1024;

// AVIF and HEIC share their signature: the ftyp box's brands, in practice within a file's
// first bytes up to here, tell them apart, so their type is decided after these.
constexpr std::size_t k_isobmff_type_bytes = 256;

std::string size_text(std::uint64_t bytes) {
    return std::to_string(bytes) + " bytes";
}

bool is_isobmff(const std::optional<ImageFormat>& format) {
    return format == ImageFormat::heic || format == ImageFormat::avif;
}

} // namespace

BodySink::BodySink(const OutputDir& dir, BodySinkLimits limits, std::vector<char>& gather_buffer,
                   MediaType media_type)
    : m_dir(dir), m_limits(limits), m_gathered(gather_buffer), m_media_type(std::move(media_type)) {
    m_gathered.clear();
    if (m_limits.sha256) {
        m_digest.emplace();
    }
}

std::optional<std::string> BodySink::take(std::string_view piece) {
    m_received += piece.size();
    return accept(piece);
}

std::optional<std::string> BodySink::replay(std::uint64_t on_disk) {
    constexpr std::size_t k_replay_bytes = 64 * 1024;
    std::string buffer(k_replay_bytes, '\0');
    m_on_disk = on_disk;
    std::uint64_t offset = 0;
    while (offset < on_disk) {
        const std::size_t n = m_partial->read_at(offset, buffer.data(), buffer.size());
        if (n == 0) {
            throw std::system_error(EIO, std::generic_category(),
                                    "the partial download is shorter than it was");
        }
        const std::size_t piece =
            static_cast<std::size_t>(std::min<std::uint64_t>(n, on_disk - offset));
        if (auto refused = accept(std::string_view(buffer.data(), piece))) {
            return refused;
        }
        offset += piece;
    }
    return std::nullopt;
}

// A piece of the body, received or replayed (take(), replay()).
std::optional<std::string> BodySink::accept(std::string_view piece) {
    const std::uint64_t max_size = m_limits.max_size;
    if (max_size != 0 && m_bytes + m_pending.size() + piece.size() > max_size) {
        return refuse("larger than --max-size (" + size_text(max_size) + ")", RefusalKind::failed);
    }
    if (m_decided) {
        if (auto filtered = inspect(piece)) {
            return filtered;
        }
        write_out(piece.data(), piece.size());
        return std::nullopt;
    }
    if (m_pending.empty() && piece.size() >= k_sniff_bytes) {
        return decide(piece); // the usual case: the first piece is enough, with no copy
    }
    m_pending.append(piece);
    if (m_pending.size() < k_sniff_bytes) {
        return std::nullopt;
    }
    const std::string head = std::move(m_pending);
    m_pending = std::string();
    return decide(head);
}

std::optional<std::string> BodySink::finish() {
    if (!m_decided) { // a body shorter than the sniff window
        if (m_pending.empty()) {
            return "empty body";
        }
        const std::string head = std::move(m_pending);
        m_pending = std::string();
        if (auto refused = decide(head)) {
            return refused;
        }
    }
    if (auto refused = judge_at_end()) {
        return refused;
    }
    flush();
    return std::nullopt;
}

std::optional<std::string> BodySink::refuse_announced(std::uint64_t announced) {
    const std::uint64_t max_size = m_limits.max_size;
    if (max_size != 0 && announced > max_size) {
        return refuse("larger than --max-size (" + size_text(max_size) + "; announced " +
                          std::to_string(announced) + ")",
                      RefusalKind::failed);
    }
    if (m_limits.filters != nullptr) {
        return refuse(size_filter_reason(*m_limits.filters, announced), RefusalKind::filtered);
    }
    return std::nullopt;
}

std::optional<std::string> BodySink::refuse(std::optional<std::string> reason, RefusalKind kind) {
    if (reason) {
        m_refusal = kind;
    }
    return reason;
}

// Feeds an accepted piece to the image check and asks the filters whatever it now allows.
std::optional<std::string> BodySink::inspect(std::string_view piece) {
    if (!m_check) {
        return std::nullopt;
    }
    m_check->feed(piece);
    m_inspected += piece.size();
    return filter_early(false);
}

// The filters on what the headers show so far: the types once the format is detected (`ended`:
// the whole body is in), the dimensions once both are known. Each is asked once.
std::optional<std::string> BodySink::filter_early(bool ended) {
    if (m_limits.filters == nullptr) {
        return std::nullopt;
    }
    const ImageFilters& filters = *m_limits.filters;
    const ImageFacts& seen = facts();
    const std::size_t type_bytes = is_isobmff(seen.format) ? k_isobmff_type_bytes : k_detect_bytes;
    if (!m_type_decided && (ended || m_inspected >= type_bytes)) {
        m_type_decided = true;
        if (auto reason = type_filter_reason(filters, seen.format)) {
            return refuse(std::move(reason), RefusalKind::filtered);
        }
    }
    if (!m_dimensions_decided && seen.width != 0 && seen.height != 0) {
        m_dimensions_decided = true;
        return refuse(dimension_filter_reason(filters, seen.width, seen.height),
                      RefusalKind::filtered);
    }
    return std::nullopt;
}

// The body is in: the filters not yet decided, --min-size, then the structure check's verdict.
std::optional<std::string> BodySink::judge_at_end() {
    if (m_check) {
        if (auto filtered = filter_early(true)) {
            return filtered;
        }
    }
    if (m_limits.filters != nullptr) {
        if (auto small = size_filter_reason(*m_limits.filters, m_bytes)) {
            return refuse(std::move(small), RefusalKind::filtered);
        }
    }
    if (!m_check || !m_check_counts) {
        return std::nullopt;
    }
    const ImageCheck check = m_check->finish();
    if (check.verdict == ImageVerdict::truncated || check.verdict == ImageVerdict::corrupt) {
        return refuse(check.message(), RefusalKind::retryable);
    }
    return std::nullopt;
}

std::optional<std::string> BodySink::hex_digest() {
    if (!m_digest) {
        return std::nullopt;
    }
    return m_digest->hex_digest();
}

// Decides, once, from the body's first bytes `head` (all of it so far); on acceptance creates
// the temporary and writes `head`.
std::optional<std::string> BodySink::decide(std::string_view head) {
    m_decided = true;
    const std::string media = m_media_type();
    if (const auto sniffed = sniff_image_extension(head)) {
        m_extension = *sniffed; // the bytes are the best witness of the format
    } else if (is_image_media_type(media) &&
               (media == "image/svg+xml" || !looks_like_markup(head))) {
        m_extension = extension_for_media_type(media).value_or("");
    } else if (!m_limits.any_type) {
        return is_image_media_type(media)
                   ? "not an image (HTML/XML body labelled " + media + ")"
                   : "not an image (" + (media.empty() ? "no Content-Type" : media) + ")";
    }
    // Under --any-type a body the content check did not take for an image is kept as it is,
    // even if it looks like XML (an HTML page is no broken SVG), and has no image facts.
    m_taken_for_image = !m_limits.any_type || !m_extension.empty();
    if (m_limits.verify || (m_limits.filters != nullptr && filters_need_facts(*m_limits.filters))) {
        m_check.emplace();
        m_check_counts = m_limits.verify && m_taken_for_image;
        if (auto filtered = inspect(head)) {
            return filtered;
        }
    } else if (m_taken_for_image) {
        m_facts.format = detect_image_format(head);
    }
    if (m_partial != nullptr) {
        m_out = m_partial;
    } else {
        m_file.emplace(m_dir);
        m_out = &*m_file;
    }
    write_out(head.data(), head.size());
    return std::nullopt;
}

void BodySink::write_out(const char* data, std::size_t size) {
    if (m_digest) {
        m_digest->update(data, size); // the saved bytes, hashed as they stream
    }
    m_bytes += size;
    // Replayed bytes (--resume) are on disk already: counted and hashed, not written again.
    const auto on_disk = static_cast<std::size_t>(std::min<std::uint64_t>(size, m_on_disk));
    m_on_disk -= on_disk;
    data += on_disk;
    size -= on_disk;
    if (size == 0) {
        return;
    }
    if (m_gathered.size() + size > k_write_gather_bytes) {
        flush();
    }
    if (size >= k_write_gather_bytes) {
        m_out->write(data, size); // nothing to gain from a copy
    } else {
        if (m_gathered.capacity() < k_write_gather_bytes) {
            m_gathered.reserve(k_write_gather_bytes); // once per session
        }
        m_gathered.insert(m_gathered.end(), data, data + size);
    }
}

// Writes what write_out() gathered. Throws std::system_error ("write failed: ...").
void BodySink::flush() {
    if (!m_gathered.empty()) {
        m_out->write(m_gathered.data(), m_gathered.size());
        m_gathered.clear();
    }
}

} // namespace imgfetch
