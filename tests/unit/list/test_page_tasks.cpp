// Pages as a task source (list/page_tasks.hpp, task_source.hpp): a real loopback server serves
// the pages and images; the page is fetched, its images become tasks in page order.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/page_tasks.hpp"
#include "imgfetch/list/task_source.hpp"
#include "imgfetch/transfer/curl_share.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

using test::contains;

// What the server saw of one request. Written by the server's threads under `mutex`.
struct PageTasksSeen {
    std::mutex mutex;
    std::vector<std::string> lines; // "<path> referer=<Referer> range=<Range> x=<X-Test>"
    void add(const httplib::Request& request) {
        const std::lock_guard<std::mutex> lock(mutex);
        lines.push_back(request.path + " referer=" + request.get_header_value("Referer") +
                        " range=" + request.get_header_value("Range") +
                        " x=" + request.get_header_value("X-Test"));
    }
    std::vector<std::string> take() {
        const std::lock_guard<std::mutex> lock(mutex);
        return lines;
    }
};

struct PageTasksProduced {
    std::vector<Task> tasks;
    std::vector<TransferResult> immediate;
};

class PageTasks : public ::testing::Test,
                  protected test::WithTestServer,
                  protected test::DownloadFixture {
protected:
    void serve(const std::string& path, const std::string& body,
               const std::string& type = "text/html") {
        server.server().Get(
            path, [this, body, type](const httplib::Request& request, httplib::Response& response) {
                seen.add(request);
                response.set_content(body, type);
            });
    }

    PageTasksProduced produce(const std::vector<std::string>& pages,
                              const std::vector<std::string>& lists = {}) {
        ListFormat format;
        format.format = list_format;
        ListInputs inputs(lists, {}, format);
        const DownloadContext ctx = context();
        PageSource source(input, ctx, share);
        inputs.set_pages(pages, &source);
        ResultSink sink(true);
        NameRegistry names;
        PageTasksProduced out;
        produce_tasks(inputs, names, sink,
                      [&](Task task) { out.tasks.push_back(std::move(task)); });
        out.immediate = sink.take_records();
        return out;
    }

    std::vector<std::string> urls_of(const PageTasksProduced& produced) {
        std::vector<std::string> urls;
        for (const Task& task : produced.tasks) {
            urls.push_back(task.url);
        }
        return urls;
    }

    PageTasksSeen seen;
    CurlShare share;
    InputOptions input;
    InputFormat list_format = InputFormat::auto_detect;
};

TEST_F(PageTasks, EveryPatternOfAPageBecomesATaskInPageOrder) {
    serve("/site/gallery/index.html", R"html(<html><head>
<meta property="og:image" content="/og.jpg"><meta name="twitter:image" content="tw.png">
<link rel="image_src" href="../shared/link.gif"></head><body>
<img src="a.png" srcset="a-320.png 320w, a-1280.png 1280w">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="lazy.webp"
     data-srcset="lazy-1x.webp 1x, lazy-2x.webp 2x"><img data-original="orig.png" data-lazy-src="ls.png">
<picture><source srcset="pic-a.jpg 1x, pic-b.jpg 3x"><img src="../../pic.jpg"></picture>
<a href="big/FULL.JPG?v=2"><img src="thumb.jpg"></a><a href="/about">about</a>
<img src="a.png">
</body></html>)html");
    const std::string page = server.url("/site/gallery/index.html");
    const std::string root = server.url("");

    const PageTasksProduced produced = produce({page});

    EXPECT_TRUE(produced.immediate.empty());
    EXPECT_EQ(urls_of(produced),
              (std::vector<std::string>{
                  root + "/og.jpg", root + "/site/gallery/tw.png", root + "/site/shared/link.gif",
                  root + "/site/gallery/a.png", root + "/site/gallery/a-1280.png",
                  root + "/site/gallery/lazy.webp", root + "/site/gallery/lazy-2x.webp",
                  root + "/site/gallery/orig.png", root + "/site/gallery/ls.png",
                  root + "/site/gallery/pic-b.jpg", root + "/pic.jpg",
                  root + "/site/gallery/big/FULL.JPG?v=2", root + "/site/gallery/thumb.jpg"}));
    ASSERT_EQ(produced.tasks.size(), 13U);
    for (std::size_t i = 0; i < produced.tasks.size(); ++i) {
        const Task& task = produced.tasks[i];
        EXPECT_EQ(task.seq, i);
        EXPECT_EQ(task.line, 1U) << "the --page's position";
        EXPECT_EQ(task.page, page);
        EXPECT_EQ(task.referer, page);
    }
    EXPECT_EQ(produced.tasks[0].file_name, "og.jpg");
    EXPECT_EQ(produced.tasks[11].file_name, "FULL.JPG");
}

TEST_F(PageTasks, ARedirectedPageResolvesAgainstItsFinalUrl) {
    server.server().Get("/start", [](const httplib::Request&, httplib::Response& response) {
        response.set_redirect("/deep/er/page.html", 302);
    });
    serve("/deep/er/page.html", R"html(<img src="rel.png"><img src="../up.png">)html");

    const PageTasksProduced produced = produce({server.url("/start")});

    EXPECT_EQ(urls_of(produced), (std::vector<std::string>{server.url("/deep/er/rel.png"),
                                                           server.url("/deep/up.png")}));
    ASSERT_FALSE(produced.tasks.empty());
    EXPECT_EQ(produced.tasks[0].referer, server.url("/deep/er/page.html"))
        << "the page the images are on";
    EXPECT_EQ(produced.tasks[0].page, server.url("/start")) << "the page as given";
}

TEST_F(PageTasks, APageOverTheCapOrAnErrorFailsAndTheNextPageStillRuns) {
    serve("/big.html", "<html><body>" + std::string(5000, 'x') + "<img src=\"b.png\"></body>");
    serve("/good.html", R"html(<img src="g.png">)html");
    input.max_page_size = 1000;

    const PageTasksProduced produced =
        produce({server.url("/big.html"), server.url("/missing.html"), server.url("/good.html")});

    EXPECT_EQ(urls_of(produced), (std::vector<std::string>{server.url("/g.png")}));
    ASSERT_EQ(produced.immediate.size(), 2U);
    const TransferResult& big = produced.immediate[0];
    EXPECT_EQ(big.status, Status::failed);
    EXPECT_EQ(big.line, 1U);
    EXPECT_EQ(big.url, server.url("/big.html"));
    EXPECT_EQ(big.page, server.url("/big.html"));
    EXPECT_TRUE(contains(big.error, "page larger than --max-page-size (1000 bytes)")) << big.error;
    const TransferResult& missing = produced.immediate[1];
    EXPECT_EQ(missing.line, 2U);
    EXPECT_TRUE(contains(missing.error, "HTTP 404")) << missing.error;
    EXPECT_EQ(produced.tasks[0].seq, 2U);
    EXPECT_EQ(produced.tasks[0].line, 3U);
}

TEST_F(PageTasks, APageNestedDeeperThanTheCapFailsUnparsedAndTheNextPageStillRuns) {
    // 200,000 nested elements (1 MB) would keep gumbo busy for hours; 1,000 are parsed.
    std::string hostile;
    for (int i = 0; i < 200000; ++i) {
        hostile += "<div>";
    }
    serve("/deep.html", hostile + R"html(<img src="deep.png">)html");
    std::string fine;
    for (int i = 0; i < 1000; ++i) {
        fine += "<span>";
    }
    serve("/fine.html", fine + R"html(<img src="fine.png">)html");

    const PageTasksProduced produced =
        produce({server.url("/deep.html"), server.url("/fine.html")});

    EXPECT_EQ(urls_of(produced), (std::vector<std::string>{server.url("/fine.png")}));
    ASSERT_EQ(produced.immediate.size(), 1U);
    EXPECT_EQ(produced.immediate[0].status, Status::failed);
    EXPECT_TRUE(contains(produced.immediate[0].error, "page nests elements more than 1024 deep"))
        << produced.immediate[0].error;
}

TEST_F(PageTasks, APageWithinTheCapIsParsedWhole) {
    serve("/fits.html", std::string(900, ' ') + R"html(<img src="end.png">)html");
    input.max_page_size = 919; // exactly the page's size

    const PageTasksProduced produced = produce({server.url("/fits.html")});

    EXPECT_EQ(urls_of(produced), (std::vector<std::string>{server.url("/end.png")}));
}

TEST_F(PageTasks, ProbeLinksKeepsOnlyLinksWhoseFirstBytesAreAnImage) {
    serve("/p.html", R"html(<a href="/view/1">one</a><a href="/about">about</a>)html");
    serve("/view/1", test::fake_png(1), "application/octet-stream");
    serve("/about", "<html>about</html>");

    EXPECT_TRUE(produce({server.url("/p.html")}).tasks.empty()) << "no probing without the flag";
    input.probe_links = true;
    const PageTasksProduced produced = produce({server.url("/p.html")});

    EXPECT_EQ(urls_of(produced), (std::vector<std::string>{server.url("/view/1")}));
    bool ranged = false;
    for (const std::string& line : seen.take()) {
        ranged = ranged || (line.rfind("/view/1 ", 0) == 0 && contains(line, "range=bytes=0-31"));
    }
    EXPECT_TRUE(ranged) << "the probe asks for the first 32 bytes only";
}

TEST_F(PageTasks, ThePageRequestCarriesTheRequestOptionsAndTheImagesItsReferer) {
    serve("/h.html", R"html(<img src="/img.png">)html");
    serve("/img.png", test::fake_png(2), "image/png");
    settings.headers = {"X-Test: yes"};

    const PageTasksProduced produced = produce({server.url("/h.html")});
    ASSERT_EQ(produced.tasks.size(), 1U);
    const TransferResult result = download(produced.tasks[0]);

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.page, server.url("/h.html"));
    EXPECT_EQ(seen.take(), (std::vector<std::string>{"/h.html referer= range= x=yes",
                                                     "/img.png referer=" + server.url("/h.html") +
                                                         " range= x=yes"}));
}

TEST_F(PageTasks, RefererOptionWinsOverThePage) {
    serve("/r.html", R"html(<img src="/i.png">)html");
    settings.referer = "http://127.0.0.1/chosen";

    const PageTasksProduced produced = produce({server.url("/r.html")});

    ASSERT_EQ(produced.tasks.size(), 1U);
    EXPECT_EQ(produced.tasks[0].referer, "") << "--referer applies";
}

TEST_F(PageTasks, APagesListReadsEachLineAsAPageAndRepeatsAreDuplicates) {
    serve("/one.html", R"html(<img src="/shared.png"><img src="/one.png">)html");
    serve("/two.html", R"html(<img src="/shared.png"><img src="/two.png">)html");
    test::write_file(temp / "pages.txt", "# pages\n" + server.url("/one.html") + "\n\n" +
                                             server.url("/two.html") + "\n");
    list_format = InputFormat::pages;

    const PageTasksProduced produced = produce({}, {(temp / "pages.txt").string()});

    EXPECT_EQ(urls_of(produced),
              (std::vector<std::string>{server.url("/shared.png"), server.url("/one.png"),
                                        server.url("/two.png")}));
    ASSERT_EQ(produced.tasks.size(), 3U);
    EXPECT_EQ(produced.tasks[0].line, 2U);
    EXPECT_EQ(produced.tasks[2].line, 4U);
    EXPECT_EQ(produced.tasks[2].page, server.url("/two.html"));
    ASSERT_EQ(produced.immediate.size(), 1U);
    EXPECT_EQ(produced.immediate[0].status, Status::duplicate);
    EXPECT_EQ(produced.immediate[0].duplicate_of, 0U);
    EXPECT_EQ(produced.immediate[0].page, server.url("/two.html"));
}

TEST_F(PageTasks, MalformedHtmlStillGivesItsImages) {
    serve("/bad.html", "<p><img src=a.png <table><tr><img src='b.png'></td><a href=c.gif><<<>");

    const PageTasksProduced produced = produce({server.url("/bad.html")});

    EXPECT_EQ(urls_of(produced),
              (std::vector<std::string>{server.url("/a.png"), server.url("/b.png"),
                                        server.url("/c.gif")}));
}

} // namespace
} // namespace imgfetch
