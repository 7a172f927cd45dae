#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/image/structure_check.hpp"
#include "imgfetch/transfer/sha256_stream.hpp"

namespace imgfetch {

class OutputDir;

// What a BodySink enforces (from the run's settings).
struct BodySinkLimits {
    std::uint64_t max_size = 0; // bytes; 0 = no limit
    bool any_type = false;      // keep bodies that are not images
    bool sha256 = false;        // hash the saved bytes as they stream (--checksum sha256)
    bool verify = false; // --verify structure: refuse truncated or corrupt images (limits_of)
    const ImageFilters* filters = nullptr; // the run's filters (borrowed); null = none
};

// What a refusal makes of the transfer: a plain failure, a failure worth another attempt (a
// truncated or corrupt image: a cut transfer is often transient), or `filtered` (an image
// filter said no: not retried, counts as success).
enum class RefusalKind { failed, retryable, filtered };

// Where the bytes of one accepted (2xx) body go. In order: the first k_sniff_bytes are held
// back until the content check decides from them and the response's media type whether the
// body is an image; an accepted body then goes into an AtomicFile temporary in `dir`, pieces of
// 16 KiB and more written as they come, shorter ones gathered into writes of up to 16 KiB; every
// byte counts against --max-size (the bytes delivered, so a false Content-Length or a body that
// decodes into more is still caught) and, with sha256, feeds the digest. With limits.verify or
// a filter, every accepted byte also feeds a StructureCheck as it streams (O(1) memory, no
// copy): the filters are asked as soon as its facts allow (the type once the format is
// detected, the dimensions once the header shows them), and at finish() a truncated or corrupt
// verdict refuses the body (retryable). Under --any-type the verdict counts only for bodies the
// content check took for images; a body of no checked format (JPEG XL, a non-image) passes
// unchecked. Nothing reaches a final name here: the caller commits file(). Owned by one
// transfer; not thread-safe (libcurl calls the write callback on one thread).
class BodySink {
public:
    // The response's media type ("image/png", "" for none), asked once, at the decision.
    using MediaType = std::function<std::string()>;

    // `gather_buffer` is borrowed for the sink's life (a session reuses one across transfers)
    // and is cleared here: a previous transfer may have ended before its last write.
    BodySink(const OutputDir& dir, BodySinkLimits limits, std::vector<char>& gather_buffer,
             MediaType media_type);

    // Takes the next piece of the body. Returns why the transfer must stop ("larger than
    // --max-size (N bytes)", "not an image (...)"), or nothing to go on. Throws
    // std::system_error when the temporary cannot be created or written.
    std::optional<std::string> take(std::string_view piece);

    // The body ended: decides on a body shorter than the sniff window and writes what is
    // gathered. Returns why the body is refused ("empty body", "not an image (...)"), or
    // nothing when file() holds all of it. Throws std::system_error like take().
    std::optional<std::string> finish();

    // --resume: the body goes into `partial` (borrowed for the sink's life) instead of a new
    // temporary. Call before the first take().
    void write_into(AtomicFile& partial) { m_partial = &partial; }

    // --resume, a 206 answer: the first `on_disk` bytes of the body are those already in the
    // partial (write_into()); they are read back through the same steps as received bytes (the
    // content check, --max-size, the image check and filters, the digest), but not written
    // again, so every check covers the whole file. Call once, before the first take(). Returns
    // why the body is refused, like take(). Throws std::system_error.
    std::optional<std::string> replay(std::uint64_t on_disk);

    // Why a body whose length is announced as `announced` bytes is refused before any byte
    // of it is read (over --max-size; under --min-size: filtered), or nothing.
    std::optional<std::string> refuse_announced(std::uint64_t announced);

    // What the latest refusal of take(), finish() or refuse_announced() makes of the transfer.
    RefusalKind refusal_kind() const { return m_refusal; }
    // Body bytes handed to take() so far, refused ones included.
    std::uint64_t received() const { return m_received; }
    // What the image check read from the headers so far (the format alone with --verify none
    // and no filter; nothing before the content check decided, nor for a body --any-type kept
    // that the content check did not take for an image).
    const ImageFacts& facts() const {
        return m_check && m_taken_for_image ? m_check->facts() : m_facts;
    }

    // The image extension the content check chose ("" when none: --any-type).
    const std::string& extension() const { return m_extension; }
    // Bytes accepted into the temporary so far.
    std::uint64_t bytes() const { return m_bytes; }
    // The temporary (or the partial of write_into()); only after finish() returned nothing.
    AtomicFile& file() { return *m_out; }
    // The SHA-256 of the saved bytes (with limits.sha256), after finish(); call once.
    std::optional<std::string> hex_digest();

private:
    std::optional<std::string> accept(std::string_view piece);
    std::optional<std::string> decide(std::string_view head);
    std::optional<std::string> inspect(std::string_view piece);
    std::optional<std::string> filter_early(bool ended);
    std::optional<std::string> judge_at_end();
    std::optional<std::string> refuse(std::optional<std::string> reason, RefusalKind kind);
    void write_out(const char* data, std::size_t size);
    void flush();

    const OutputDir& m_dir;
    const BodySinkLimits m_limits;
    std::vector<char>& m_gathered; // bytes for the next write (borrowed, see the constructor)
    MediaType m_media_type;
    std::string m_pending;            // body bytes held back until the decision
    bool m_decided = false;           // has the content check run?
    std::string m_extension;          // chosen by the content check
    std::optional<AtomicFile> m_file; // the temporary, once the body is accepted
    AtomicFile* m_partial = nullptr;  // --resume: where the body goes instead (borrowed)
    AtomicFile* m_out = nullptr;      // m_file or m_partial, once the body is accepted
    std::uint64_t m_on_disk = 0;      // replayed bytes not yet passed by write_out()
    std::uint64_t m_bytes = 0;        // bytes accepted (written or gathered)
    std::optional<Sha256Stream> m_digest;
    std::uint64_t m_received = 0;          // bytes handed to take()
    std::optional<StructureCheck> m_check; // with verify or a filter, once accepted
    bool m_taken_for_image = false;        // not a non-image kept by --any-type
    bool m_check_counts = false;           // does the check's verdict refuse the body?
    ImageFacts m_facts;                    // without a check: the detected format only
    std::uint64_t m_inspected = 0;         // bytes fed to m_check
    bool m_type_decided = false;           // have --types/--reject-types been asked?
    bool m_dimensions_decided = false;     // have the dimension filters been asked?
    RefusalKind m_refusal = RefusalKind::failed;
};

} // namespace imgfetch
