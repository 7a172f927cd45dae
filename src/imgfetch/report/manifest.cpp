#include "imgfetch/report/manifest.hpp"

#include <exception>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

std::string sha256sum_line(std::string_view hex, std::string_view name) {
    std::string escaped;
    bool needs_escape = false;
    for (const char c : name) {
        switch (c) {
        case '\\':
            escaped += "\\\\";
            needs_escape = true;
            break;
        case '\n':
            escaped += "\\n";
            needs_escape = true;
            break;
        case '\r':
            escaped += "\\r";
            needs_escape = true;
            break;
        default:
            escaped += c;
            break;
        }
    }
    std::string line = needs_escape ? "\\" : "";
    line += hex;
    line += "  ";
    line += escaped;
    line += '\n';
    return line;
}

void check_manifest_writable(const std::string& path) {
    try {
        check_file_writable_atomically(path);
    } catch (const std::exception& e) {
        throw SetupError("cannot write manifest '" + printable(path) + "': " + e.what());
    }
}

ManifestWriter::ManifestWriter(std::string spill_dir)
    : m_lines("the manifest's lines", std::move(spill_dir)) {}

void ManifestWriter::add(const TransferResult& result) noexcept {
    if (result.status != Status::ok || !result.sha256 || result.path.empty() || !m_error.empty()) {
        return;
    }
    try {
        // Names relative to DIR: the manifest verifies DIR wherever it is moved to.
        const std::string name = std::filesystem::path(result.path).filename().string();
        m_lines.append(sha256sum_line(*result.sha256, name));
    } catch (const std::exception& e) {
        try {
            m_error = e.what();
        } catch (...) {
            m_error = "out of memory"; // fits in place: no allocation
        }
        if (m_error.empty()) {
            m_error = "unknown error";
        }
    }
}

void ManifestWriter::write(const std::string& path) const {
    try {
        if (!m_error.empty()) {
            throw std::runtime_error(m_error);
        }
        write_file_atomically_in_pieces(path, [this](const ContentPieceWriter& write_piece) {
            m_lines.for_each_chunk(write_piece);
        });
    } catch (const std::exception& e) {
        throw SetupError("cannot write manifest '" + printable(path) + "': " + e.what());
    }
}

} // namespace imgfetch
