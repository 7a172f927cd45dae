// The options about what a body's bytes must be: the image check, the filters, placeholders
// and same-content links (issue 14).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>

#include "imgfetch/cli/option_groups.hpp"
#include "imgfetch/cli/parse_size.hpp"
#include "imgfetch/transfer/image_filter.hpp"
#include "imgfetch/util/text_escape.hpp" // printable

namespace imgfetch {

CLI::Validator size_in_bytes(const std::string& what) {
    return CLI::Validator(
        [what](std::string& text) {
            const std::optional<std::uint64_t> bytes = parse_size(text);
            if (!bytes) {
                return "not a " + what + ": " + text;
            }
            text = std::to_string(*bytes);
            return std::string();
        },
        "", what);
}

// Decisions by a body's bytes (issue 14): placeholders to reject, same bytes to link.
void add_content_options(CLI::App& app, TransferOptions& transfer) {
    app.add_option("--reject-hash", transfer.reject_hash_file,
                   "Skip bodies whose SHA-256 is listed in FILE (one per line, '#' comments; "
                   "sha256sum output works): reported filtered, reason placeholder, not saved")
        ->check(CLI::ExistingFile)
        ->option_text("FILE");
    const std::map<std::string, DedupeMode> dedupe_names{{"none", DedupeMode::none},
                                                         {"link", DedupeMode::link}};
    app.add_option("--dedupe", transfer.dedupe,
                   "A body with the same bytes as an earlier file of the run: none (save the "
                   "copy) or link (hard-link the earlier file); link turns on --checksum sha256 "
                   "(default: none)")
        ->transform(CLI::CheckedTransformer(dedupe_names, CLI::ignore_case))
        ->option_text("MODE");
}

// The image check and the image filters (issue 14 parts 1 and 3).
void add_image_options(CLI::App& app, TransferOptions& transfer) {
    const std::map<std::string, VerifyMode> verify_modes{{"structure", VerifyMode::structure},
                                                         {"none", VerifyMode::none}};
    app.add_option("--verify", transfer.verify,
                   "structure: refuse a truncated or corrupt image (failed, retried, nothing "
                   "saved); none: keep the bytes as they came (default: structure)")
        ->transform(CLI::CheckedTransformer(verify_modes, CLI::ignore_case))
        ->option_text("MODE");
    ImageFilters& filters = transfer.filters;
    app.add_option("--min-width", filters.min_width,
                   "Skip (filtered) an image narrower than N pixels, stopped once its header "
                   "shows it")
        ->option_text("N");
    app.add_option("--min-height", filters.min_height, "Skip an image lower than N pixels")
        ->option_text("N");
    app.add_option("--min-pixels", filters.min_pixels,
                   "Skip an image of fewer than N pixels (width x height)")
        ->option_text("N");
    app.add_option("--max-pixels", filters.max_pixels,
                   "Skip an image of more than N pixels (a guard against decompression bombs)")
        ->option_text("N");
    app.add_option("--min-size", filters.min_size,
                   "Skip a body under SIZE bytes (by its Content-Length when it has one); k, M, "
                   "G suffixes")
        ->transform(size_in_bytes("size"))
        ->option_text("SIZE");
    const auto type_names = [](std::string& name) {
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const std::optional<std::string> unknown = unknown_type_name(name);
        return unknown ? "unknown image type '" + printable(*unknown) +
                             "' (known: jpeg,png,gif,webp,avif,heic,bmp,tiff,ico,svg)"
                       : std::string();
    };
    app.add_option("--types", filters.types,
                   "Keep only images of these formats, comma-separated: jpeg,png,gif,webp,avif,"
                   "heic,bmp,tiff,ico,svg (by their bytes); others are filtered")
        ->delimiter(',')
        ->transform(CLI::Validator(type_names, "", "image type"))
        ->option_text("LIST");
    app.add_option("--reject-types", filters.reject_types,
                   "Skip images of these formats, comma-separated (e.g. gif,svg)")
        ->delimiter(',')
        ->transform(CLI::Validator(type_names, "", "image type"))
        ->option_text("LIST");
}

} // namespace imgfetch
