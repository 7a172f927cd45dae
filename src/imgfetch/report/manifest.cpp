#include "imgfetch/report/manifest.hpp"

#include <cerrno>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/error_text.hpp"
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
    const std::string probe = path + ".part";
    std::ofstream out(probe, std::ios::binary | std::ios::trunc);
    if (!out) {
        throw SetupError("cannot write manifest '" + printable(path) + "': " + error_text(errno));
    }
    out.close();
    std::remove(probe.c_str());
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
    const std::string shown = printable(path);
    if (!m_error.empty()) {
        throw SetupError("cannot write manifest '" + shown + "': " + m_error);
    }
    const std::string temp = path + ".part";
    try {
        errno = 0;
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        m_lines.for_each_chunk([&out](std::string_view chunk) {
            out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        });
        out.close();
        if (!out) {
            throw std::runtime_error(errno != 0 ? error_text(errno) : std::string("write failed"));
        }
    } catch (const std::exception& e) {
        std::remove(temp.c_str());
        throw SetupError("cannot write manifest '" + shown + "': " + e.what());
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::remove(temp.c_str());
        throw SetupError("cannot write manifest '" + shown + "': " + ec.message());
    }
}

} // namespace imgfetch
