// libFuzzer target: --name-template's expander turns a user's template and a server's URL path
// into a path under DIR. Whatever the template (line 1 of the input), the URL path (line 2) and
// the name (line 3), a template either is refused or gives a path that stays inside DIR: relative,
// no empty, "." or ".." segment, no NUL or control byte, no leading dot in a segment, segments of
// at most k_max_name_bytes and at most k_max_path_bytes in all; and with {sha256}, the whole
// digest in it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "imgfetch/list/name_template.hpp"
#include "imgfetch/list/sanitize.hpp"

namespace {

// An invariant: when it fails, say which one and crash so libFuzzer keeps the input.
void check(bool condition, int line = __builtin_LINE()) {
    if (!condition) {
        std::fprintf(stderr, "%s:%d: invariant failed\n", __FILE__, line);
        std::abort();
    }
}

void check_path_stays_inside(std::string_view path) {
    check(!path.empty());
    check(path.size() <= imgfetch::k_max_path_bytes);
    check(path.front() != '/');
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
        const std::string_view segment = path.substr(start, end - start);
        check(!segment.empty());
        check(segment != "." && segment != "..");
        check(segment.front() != '.');
        check(segment.size() <= imgfetch::k_max_name_bytes);
        for (const char c : segment) {
            check(static_cast<unsigned char>(c) >= 0x20 && c != '\x7f' && c != '\\');
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
}

// The `index`-th '\n'-separated part of `input` ("" when there are fewer).
std::string_view part(std::string_view input, int index) {
    for (int i = 0; i < index; ++i) {
        const std::size_t newline = input.find('\n');
        if (newline == std::string_view::npos) {
            return {};
        }
        input.remove_prefix(newline + 1);
    }
    return input.substr(0, input.find('\n'));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A copy of exactly `size` bytes on the heap, so ASan catches any read past its end.
    const std::string input(reinterpret_cast<const char*>(data), size);

    check_path_stays_inside(imgfetch::sanitize_relative_path(input));

    std::optional<imgfetch::NameTemplate> name_template;
    try {
        name_template.emplace(part(input, 0));
    } catch (const std::invalid_argument&) {
        return 0; // refused with a message: a usage error
    }
    imgfetch::NameFields fields;
    fields.host = imgfetch::host_segment("127.0.0.1", "http://127.0.0.1:8080/");
    fields.dir = imgfetch::url_directories(std::string(part(input, 1)));
    fields.name = imgfetch::sanitize_file_name(part(input, 2));
    fields.line = size;
    std::string path = name_template->expand(fields);
    if (name_template->uses_sha256()) {
        // Content-addressed names must keep the whole digest, or two bodies could share one.
        const std::string digest =
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        path = imgfetch::with_digest(path, digest);
        check(path.find(digest) != std::string::npos);
    }
    check_path_stays_inside(path);
    return 0;
}
