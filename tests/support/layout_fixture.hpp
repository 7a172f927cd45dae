#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch::test {

// The --layout / --name-template end-to-end tests (tests/e2e/test_layouts*.cpp): a loopback
// server that answers every path with a PNG, the real executable, and DIR = jail/out, so that
// jail/ shows whether anything was written next to DIR.
class LayoutRuns : public ::testing::Test {
protected:
    void SetUp() override {
        // [\s\S]: a decoded path may hold control characters, which '.' does not match. The
        // body is fake_png(N) for "?b=N", so a test knows which bytes each URL was sent;
        // "&cd=NAME" adds a Content-Disposition filename.
        server.server().Get(
            R"([\s\S]*)", [this](const httplib::Request& req, httplib::Response& res) {
                if (req.path == "/imgfetch-test-server-warm-up") {
                    return;
                }
                {
                    const std::lock_guard lock(m_mutex); // m_requests: written by server threads
                    ++m_requests;
                }
                if (req.has_param("cd")) {
                    res.set_header("Content-Disposition",
                                   "attachment; filename=\"" + req.get_param_value("cd") + "\"");
                }
                const std::string seed = req.has_param("b") ? req.get_param_value("b") : "0";
                res.set_content(fake_png(std::stoul(seed)), "image/png");
            });
    }

    // `path` on the server (raw: percent escapes stay as written), answered by fake_png(seed).
    std::string url(const std::string& path, int seed) {
        return server.url(path + "?b=" + std::to_string(seed));
    }

    // The {host} folder of the server's URLs: "127.0.0.1_PORT".
    std::string host() { return "127.0.0.1_" + std::to_string(server.port()); }

    // Writes the list (one line each) and runs imgfetch on it into `out` with a report.
    ProcessResult fetch(const std::vector<std::string>& lines, std::vector<std::string> more,
                        const std::filesystem::path& out) {
        std::string text;
        for (const std::string& line : lines) {
            text += line + "\n";
        }
        write_file(temp / "urls.txt", text);
        std::vector<std::string> args{
            (temp / "urls.txt").string(),    "-o",        out.string(), "--report",
            (temp / "report.json").string(), "--retries", "0"};
        args.insert(args.end(), more.begin(), more.end());
        return run_imgfetch(args, temp.path());
    }
    ProcessResult fetch(const std::vector<std::string>& lines, std::vector<std::string> more) {
        return fetch(lines, std::move(more), dir);
    }

    nlohmann::json report_files() const {
        return nlohmann::json::parse(read_file(temp / "report.json"))["files"];
    }

    int requests() {
        const std::lock_guard lock(m_mutex); // m_requests
        return m_requests;
    }

    // What tree_of() shows of a file: its bytes' digest (a failure message stays readable).
    static std::string digest_of(const std::string& bytes) { return "sha256 " + sha256_hex(bytes); }
    // What tree_of() shows of fake_png(seed).
    static std::string png(std::size_t seed) { return digest_of(fake_png(seed)); }

    // Everything under `root` except imgfetch's lock file: relative path -> digest_of() the
    // file's bytes, "<symlink>" for a symlink (not followed), "<dir>" for an empty directory. A
    // temporary left behind shows up too.
    static std::map<std::string, std::string> tree_of(const std::filesystem::path& root) {
        namespace fs = std::filesystem;
        std::map<std::string, std::string> tree;
        for (auto it = fs::recursive_directory_iterator(root); it != fs::end(it); ++it) {
            const std::string relative = it->path().lexically_relative(root).string();
            if (relative == ".imgfetch.lock") {
                continue;
            }
            if (it->is_symlink()) {
                tree[relative] = "<symlink>";
            } else if (it->is_regular_file()) {
                tree[relative] = digest_of(read_file(it->path()));
            } else if (it->is_directory() && fs::is_empty(it->path())) {
                tree[relative] = "<dir>";
            }
        }
        return tree;
    }

    // DIR is the only entry of jail/: nothing was written beside it.
    void expect_nothing_beside_dir() const {
        EXPECT_EQ(list_dir(temp / "jail"), std::vector<std::string>{"out"});
    }

    TestServer server;
    TempDir temp;
    const std::filesystem::path dir = temp / "jail" / "out";

private:
    std::mutex m_mutex; // guards m_requests
    int m_requests = 0; // requests the route answered (not the server's warm-up)
};

} // namespace imgfetch::test
