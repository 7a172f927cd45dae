// --page through the executable (issue 15 part 1): a gallery page on a loopback server, its
// images saved under names in page order, the page as each image's Referer, a page over
// --max-page-size failing alone (exit code 1), the report's `page` and `line`, a pages list.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

namespace fs = std::filesystem;
using test::contains;

// The Referer of each image request, by path. Written by the server's threads under `mutex`,
// read by the test thread after imgfetch exited.
struct PagesE2eReferers {
    std::mutex mutex;
    std::map<std::string, std::string> by_path;
};

struct PagesE2eHosts {
    PagesE2eReferers referers;
    test::TestServer server;
};

class PagesE2e : public ::testing::Test, protected PagesE2eHosts {
protected:
    void SetUp() override {
        serve_page("/shop/gallery/index.html", R"html(<!doctype html><html><head>
<meta property="og:image" content="cover.jpg"></head><body>
<img src="../img/one.png" srcset="../img/one.png 400w, ../img/one-big.png 1600w">
<a href="/img/full.JPG"><img data-src="thumb.png"></a>
</body></html>)html");
        server.server().Get("/moved", [](const httplib::Request&, httplib::Response& response) {
            response.set_redirect("/other/place/page.html", 302);
        });
        serve_page("/other/place/page.html", R"html(<img src="here.png">)html");
        serve_page("/huge.html", "<html>" + std::string(4096, ' ') + "<img src=\"/h.png\">");
        server.server().Get(R"(/.*\.(png|jpg|JPG))", [this](const httplib::Request& request,
                                                            httplib::Response& response) {
            {
                const std::lock_guard<std::mutex> lock(referers.mutex);
                referers.by_path[request.path] = request.get_header_value("Referer");
            }
            const bool jpeg = request.path.find(".png") == std::string::npos;
            response.set_content(jpeg ? test::fake_jpeg(request.path.size())
                                      : test::fake_png(request.path.size()),
                                 jpeg ? "image/jpeg" : "image/png");
        });
    }

    void serve_page(const std::string& path, const std::string& html) {
        server.server().Get(path, [html](const httplib::Request&, httplib::Response& response) {
            response.set_content(html, "text/html");
        });
    }

    std::string referer_of(const std::string& path) {
        const std::lock_guard<std::mutex> lock(referers.mutex);
        const auto found = referers.by_path.find(path);
        return found == referers.by_path.end() ? "(not requested)" : found->second;
    }

    test::TempDir temp;
};

TEST_F(PagesE2e, DownloadsAPagesImagesInPageOrderWithThePageAsReferer) {
    const std::string page = server.url("/shop/gallery/index.html");
    const test::ProcessResult run =
        test::run_imgfetch({"--page", page, "--page", server.url("/huge.html"), "--page",
                            server.url("/moved"), "--max-page-size", "2k", "-o",
                            (temp / "out").string(), "--report", (temp / "r.json").string()},
                           temp.path());

    EXPECT_EQ(run.exit_code, 1) << "the huge page failed\n" << run.err;
    EXPECT_TRUE(contains(run.err, "page larger than --max-page-size (2048 bytes)")) << run.err;
    for (const char* name :
         {"cover.jpg", "one.png", "one-big.png", "full.JPG", "thumb.png", "here.png"}) {
        EXPECT_TRUE(fs::exists(temp / "out" / name)) << name << "\n" << run.err;
    }
    EXPECT_FALSE(fs::exists(temp / "out" / "h.png"));
    EXPECT_EQ(referer_of("/shop/img/one.png"), page);
    EXPECT_EQ(referer_of("/shop/gallery/thumb.png"), page);
    EXPECT_EQ(referer_of("/other/place/here.png"), server.url("/other/place/page.html"))
        << "relative URLs and the Referer follow the redirect";

    const nlohmann::json report = nlohmann::json::parse(test::read_file(temp / "r.json"));
    const nlohmann::json& files = report["files"];
    ASSERT_EQ(files.size(), 7U) << report.dump(1);
    const std::vector<std::string> urls{"/shop/gallery/cover.jpg", "/shop/img/one.png",
                                        "/shop/img/one-big.png", "/img/full.JPG",
                                        "/shop/gallery/thumb.png"};
    for (std::size_t i = 0; i < urls.size(); ++i) {
        EXPECT_EQ(files[i]["url"], server.url(urls[i])) << i;
        EXPECT_EQ(files[i]["status"], "ok") << i;
        EXPECT_EQ(files[i]["page"], page) << i;
        EXPECT_EQ(files[i]["line"], 1) << i;
    }
    EXPECT_EQ(files[5]["status"], "failed");
    EXPECT_EQ(files[5]["page"], server.url("/huge.html"));
    EXPECT_EQ(files[5]["line"], 2);
    EXPECT_EQ(files[6]["url"], server.url("/other/place/here.png"));
    EXPECT_EQ(files[6]["page"], server.url("/moved"));
    EXPECT_EQ(files[6]["line"], 3);
}

TEST_F(PagesE2e, APagesListAndTheRefererOption) {
    test::write_file(temp / "pages.txt",
                     server.url("/other/place/page.html") + "\n" + server.url("/moved") + "\n");
    const test::ProcessResult run =
        test::run_imgfetch({"--input-format", "pages", (temp / "pages.txt").string(), "--referer",
                            "http://127.0.0.1/chosen", "-o", (temp / "out").string(), "--report",
                            (temp / "r.json").string()},
                           temp.path());

    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_TRUE(fs::exists(temp / "out" / "here.png"));
    EXPECT_EQ(referer_of("/other/place/here.png"), "http://127.0.0.1/chosen");
    const nlohmann::json report = nlohmann::json::parse(test::read_file(temp / "r.json"));
    ASSERT_EQ(report["files"].size(), 2U) << report.dump(1);
    EXPECT_EQ(report["files"][0]["line"], 1);
    EXPECT_EQ(report["files"][1]["status"], "duplicate") << "the same image from the second page";
    EXPECT_EQ(report["files"][1]["line"], 2);
    EXPECT_EQ(report["files"][1]["page"], server.url("/moved"));
}

TEST_F(PagesE2e, APageAloneDoesNotReadStandardInput) {
    // Without LIST, imgfetch reads standard input; with --page it must not: the URL there stays
    // undownloaded.
    test::write_file(temp / "stdin.txt", server.url("/img/from-stdin.png") + "\n");
    const test::ProcessResult run =
        test::run_imgfetch({"--page", server.url("/other/place/page.html"), "-o",
                            (temp / "out").string(), "--report", (temp / "r.json").string()},
                           temp.path(), (temp / "stdin.txt").string());

    EXPECT_EQ(run.exit_code, 0) << run.err;
    const nlohmann::json report = nlohmann::json::parse(test::read_file(temp / "r.json"));
    EXPECT_EQ(report["files"].size(), 1U) << report.dump(1);
    EXPECT_FALSE(fs::exists(temp / "out" / "from-stdin.png"));
}

} // namespace
} // namespace imgfetch
