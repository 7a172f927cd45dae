#include "imgfetch/failed_list.hpp"

#include <system_error>

#include "imgfetch/atomic_file.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/text_escape.hpp"

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

} // namespace

FailedList render_failed_list(const std::vector<TransferResult>& records, bool interrupted) {
    FailedList list;
    for (const TransferResult& result : records) {
        if (result.status != Status::failed) {
            continue;
        }
        if (!is_list_field(result.source_url)) {
            list.text += comment_for(result);
            continue;
        }
        // The list parser takes the rest of the line, trimmed, as NAME: reserved names are
        // sanitized (no control characters, no leading or trailing blanks), so they round-trip
        // as they are, spaces and '#' included.
        list.text += result.source_url;
        if (!result.file_name.empty()) {
            list.text += ' ';
            list.text += result.file_name;
        }
        list.text += '\n';
        if (redact_credentials(result.source_url) != result.source_url) {
            list.has_credentials = true;
        }
    }
    if (interrupted) {
        list.text += "# interrupted: list lines after the last one read were not read\n";
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
    const FailedList list = render_failed_list(records, interrupted);
    try {
        // Credentials in the file: readable by its owner only, whatever the umask.
        write_file_atomically(path, list.text, list.has_credentials ? 0600 : 0666);
    } catch (const std::system_error& e) {
        throw SetupError("cannot write failed list '" + path + "': " + e.what());
    }
}

} // namespace imgfetch
