#include "imgfetch/report/failed_list.hpp"

#include <exception>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// A URL that can stand as the first field of a list line: the list parser splits at the first
// blank, and a line ends at '\n'. URLs from a list always can; this guards the format anyway.
bool is_list_field(const std::string& url) {
    return !url.empty() && url.find_first_of(std::string(" \t\r\n\0", 5)) == std::string::npos;
}

// A comment line for a failed result that cannot be run again. printable() keeps it on one
// line whatever the reason quotes; the reason was built with credentials redacted.
std::string comment_for(const TransferResult& result) {
    std::string reason = result.error.empty() ? std::string("failed") : result.error;
    if (!result.url.empty()) {
        reason = result.url + ": " + reason; // bad lines name list and line in their error
    }
    return "# " + printable(reason) + "\n";
}

// The line of a failed result; empty for any other. Sets `has_credentials` when its URL
// carries some.
std::string failed_line(const TransferResult& result, bool& has_credentials) {
    if (result.status != Status::failed) {
        return {};
    }
    if (!is_list_field(result.source_url)) {
        return comment_for(result);
    }
    if (!result.page.empty() && result.page == result.url) {
        // A page that failed, not an image: as a list line it would be run as an image.
        // Its error names it ("page URL: why", credentials redacted).
        return "# run this page again with --page URL: " + printable(result.error) + "\n";
    }
    // The list parser takes the rest of the line, trimmed, as NAME: reserved names are
    // sanitized (no control characters, no leading or trailing blanks), so they round-trip
    // as they are, spaces and '#' included.
    std::string line = result.source_url;
    if (!result.file_name.empty()) {
        line += ' ';
        line += result.file_name;
    }
    line += '\n';
    if (redact_credentials(result.source_url) != result.source_url) {
        has_credentials = true;
    }
    return line;
}

constexpr std::string_view k_interrupted_line =
    "# interrupted: list lines after the last one read were not read\n";

} // namespace

FailedList render_failed_list(const std::vector<TransferResult>& records, bool interrupted) {
    FailedList list;
    for (const TransferResult& result : records) {
        list.text += failed_line(result, list.has_credentials);
    }
    if (interrupted) {
        list.text += k_interrupted_line;
    }
    return list;
}

void check_failed_list_writable(const std::string& path) {
    try {
        check_file_writable_atomically(path);
    } catch (const std::system_error& e) {
        throw SetupError("cannot write failed list '" + path + "': " + e.what());
    }
}

void write_failed_list(const std::string& path, const std::vector<TransferResult>& records,
                       bool interrupted) {
    // Records in memory already: the text too is fine there.
    const FailedList list = render_failed_list(records, interrupted);
    try {
        // Credentials in the file: readable by its owner only, whatever the umask.
        write_file_atomically(path, list.text, list.has_credentials ? 0600 : 0666);
    } catch (const std::system_error& e) {
        throw SetupError("cannot write failed list '" + path + "': " + e.what());
    }
}

// --- FailedListWriter ------------------------------------------------------------------------

FailedListWriter::FailedListWriter(std::string spill_dir)
    : m_lines("the failed list's lines", std::move(spill_dir)) {}

void FailedListWriter::add(const TransferResult& result) noexcept {
    if (result.status != Status::failed || !m_error.empty()) {
        return;
    }
    try {
        m_lines.append(failed_line(result, m_has_credentials));
    } catch (const std::exception& e) {
        m_error = e.what();
        if (m_error.empty()) {
            m_error = "unknown error";
        }
    }
}

FailedList FailedListWriter::render(bool interrupted) const {
    if (!m_error.empty()) {
        throw std::runtime_error(m_error);
    }
    FailedList list;
    m_lines.for_each_chunk([&list](std::string_view chunk) { list.text += chunk; });
    if (interrupted) {
        list.text += k_interrupted_line;
    }
    list.has_credentials = m_has_credentials;
    return list;
}

void FailedListWriter::write(const std::string& path, bool interrupted) const {
    if (!m_error.empty()) {
        throw SetupError("cannot write failed list '" + path + "': " + m_error);
    }
    try {
        // Credentials in the file: readable by its owner only, whatever the umask.
        write_file_atomically_in_pieces(
            path,
            [this, interrupted](const ContentPieceWriter& write) {
                m_lines.for_each_chunk(write);
                if (interrupted) {
                    write(k_interrupted_line);
                }
            },
            m_has_credentials ? 0600 : 0666);
    } catch (const std::system_error& e) {
        throw SetupError("cannot write failed list '" + path + "': " + e.what());
    }
}

} // namespace imgfetch
