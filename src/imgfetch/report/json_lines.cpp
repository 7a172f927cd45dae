#include "imgfetch/report/json_lines.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <exception>
#include <string_view>
#include <utility>

#include "imgfetch/report/report.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/error_text.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// Writes all of `bytes` to `fd`. Returns 0, or the errno of the write that failed.
int write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

} // namespace

JsonLinesWriter::JsonLinesWriter(std::string path, std::string spill_dir)
    : m_path(std::move(path)), m_first_paths(std::move(spill_dir)) {
    if (m_path == "-") {
        m_fd = STDOUT_FILENO;
        return;
    }
    // Not truncated yet: a run that stops before its first line (another run holds DIR's lock,
    // say, and may be writing this very file) leaves it as it was. The first line truncates.
    m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0) {
        throw SetupError("cannot write --json-lines '" + printable(m_path) +
                         "': " + error_text(errno));
    }
    m_owns_fd = true;
    m_truncate_first = true;
}

JsonLinesWriter::~JsonLinesWriter() {
    if (m_owns_fd && m_fd >= 0) {
        ::close(m_fd); // finish() was not reached (an exception): nothing left to report
    }
}

void JsonLinesWriter::add(const TransferResult& r) noexcept {
    if (!m_error.empty()) {
        ++m_lost;
        return;
    }
    try {
        // A duplicate shows the file of its first occurrence, as in the report.
        write_line(json_text(report_file_entry(r, m_first_paths.path_shown(r)), -1));
    } catch (const std::exception& e) {
        fail(e.what());
        ++m_lost;
    } catch (...) {
        fail("unknown error");
        ++m_lost;
    }
}

void JsonLinesWriter::finish(const Summary& summary) {
    if (m_error.empty()) {
        write_line(json_text(nlohmann::ordered_json{{"summary", report_summary(summary)}}, -1));
    } else {
        ++m_lost;
    }
    if (m_owns_fd) {
        const int fd = std::exchange(m_fd, -1);
        m_owns_fd = false;
        if (::close(fd) != 0 && m_error.empty()) {
            fail(error_text(errno)); // NFS, say, may report a failed write only here
        }
    }
    if (!m_error.empty()) {
        throw SetupError("--json-lines '" + printable(m_path) + "' is incomplete: " +
                         std::to_string(m_lost) + " of its " + std::to_string(m_written + m_lost) +
                         " lines were not written (" + m_error + ")");
    }
}

void JsonLinesWriter::write_line(const std::string& line) {
    std::string text = line;
    text += '\n';
    if (std::exchange(m_truncate_first, false)) {
        struct stat info {};
        // Only a regular file has a length to cut (a FIFO or a device is written as it is).
        if (::fstat(m_fd, &info) == 0 && S_ISREG(info.st_mode) && ::ftruncate(m_fd, 0) != 0) {
            fail(error_text(errno));
            ++m_lost;
            return;
        }
    }
    // Unbuffered: the line is out (in the pipe or the page cache) when add() returns.
    if (const int error = write_all(m_fd, text); error != 0) {
        fail(error_text(error));
        ++m_lost;
        return;
    }
    ++m_written;
}

void JsonLinesWriter::fail(const std::string& error) {
    if (!m_error.empty()) {
        return;
    }
    m_error = error.empty() ? std::string("unknown error") : error;
    // Logged once; the lines end here, the downloads go on.
    spdlog::error("cannot write --json-lines '{}': {}; the run goes on without it",
                  printable(m_path), m_error);
}

} // namespace imgfetch
