#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdint>
#include <vector>

#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/task_source.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/ui/progress.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

struct Produced {
    std::vector<Task> tasks;
    std::vector<TransferResult> immediate;
};

Produced produce(const std::vector<std::string>& paths) {
    ListInputs lists(paths);
    ResultSink sink(true);
    NameRegistry names;
    Produced out;
    produce_tasks(lists, names, sink, [&](Task task) { out.tasks.push_back(std::move(task)); });
    out.immediate = sink.take_records();
    return out;
}

TEST(ProduceTasks, NumbersLinesAndAssignsUniqueNamesInListOrder) {
    TempDir temp;
    test::write_file(temp / "l.txt", "\xEF\xBB\xBFhttp://h/a/x.jpg\r\n"
                                     "# comment\r\n"
                                     "\r\n"
                                     "http://h/b/x.jpg\r\n"
                                     "http://h/c/ big.png\r\n"
                                     "http://h/noext\n");

    const Produced p = produce({(temp / "l.txt").string()});

    ASSERT_EQ(p.tasks.size(), 4U);
    EXPECT_TRUE(p.immediate.empty());
    EXPECT_EQ(p.tasks[0].line, 1U);
    EXPECT_EQ(p.tasks[0].file_name, "x.jpg");
    EXPECT_EQ(p.tasks[1].line, 4U);
    EXPECT_EQ(p.tasks[1].file_name, "x-2.jpg");
    EXPECT_EQ(p.tasks[2].file_name, "big.png");
    EXPECT_EQ(p.tasks[2].url, "http://h/c/");
    EXPECT_EQ(p.tasks[3].file_name, "noext");
    EXPECT_TRUE(p.tasks[3].needs_extension);
    for (std::size_t i = 0; i < p.tasks.size(); ++i) {
        EXPECT_EQ(p.tasks[i].seq, i);
    }
}

TEST(ProduceTasks, BadLinesBecomeFailedResultsNamingListAndLine) {
    TempDir temp;
    test::write_file(temp / "l.txt", "http://h/1.png\nfile:///etc/passwd\nhttp://h/2.png\n");

    const Produced p = produce({(temp / "l.txt").string()});

    ASSERT_EQ(p.tasks.size(), 2U);
    ASSERT_EQ(p.immediate.size(), 1U);
    const TransferResult& bad = p.immediate[0];
    EXPECT_EQ(bad.status, Status::failed);
    EXPECT_EQ(bad.line, 2U);
    EXPECT_EQ(bad.seq, 1U);
    EXPECT_EQ(bad.error.rfind((temp / "l.txt").string() + ":2: ", 0), 0U) << bad.error;
    EXPECT_EQ(p.tasks[1].seq, 2U);
}

TEST(ProduceTasks, ARepeatedUrlIsADuplicateOfItsFirstOccurrenceAcrossLists) {
    TempDir temp;
    test::write_file(temp / "a.txt", "http://h/1.png\n");
    test::write_file(temp / "b.txt", "http://h/1.png other.png\n");

    const Produced p = produce({(temp / "a.txt").string(), (temp / "b.txt").string()});

    ASSERT_EQ(p.tasks.size(), 1U);
    ASSERT_EQ(p.immediate.size(), 1U);
    EXPECT_EQ(p.immediate[0].status, Status::duplicate);
    EXPECT_EQ(p.immediate[0].duplicate_of, 0U);
    EXPECT_EQ(p.immediate[0].line, 1U);
}

// Past a few thousand URLs the seen-URL and name tables move to temporary files: the
// semantics must not change there. 20,000 URLs, then repeats of early, middle and late ones
// and a new URL whose name was taken long before.
TEST(ProduceTasks, DuplicatesAndNamesStayExactInAListLongerThanTheMemoryLimit) {
    TempDir temp;
    constexpr std::size_t k_urls = 20'000;
    std::string list;
    for (std::size_t i = 0; i < k_urls; ++i) {
        list += "http://h/p/" + std::to_string(i) + ".jpg\n";
    }
    list += "http://h/p/0.jpg\nhttp://h/p/10000.jpg\nhttp://h/p/19999.jpg\n";
    list += "http://h/q/5.jpg\n";
    test::write_file(temp / "l.txt", list);

    const Produced p = produce({(temp / "l.txt").string()});

    ASSERT_EQ(p.tasks.size(), k_urls + 1);
    ASSERT_EQ(p.immediate.size(), 3U);
    const std::size_t first_seqs[] = {0, 10'000, 19'999};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(p.immediate[i].status, Status::duplicate);
        EXPECT_EQ(p.immediate[i].seq, k_urls + i);
        EXPECT_EQ(p.immediate[i].duplicate_of, first_seqs[i]);
    }
    EXPECT_EQ(p.tasks[k_urls - 1].file_name, "19999.jpg");
    EXPECT_EQ(p.tasks[k_urls].file_name, "5-2.jpg");
    EXPECT_EQ(p.tasks[k_urls].seq, k_urls + 3);
}

TEST(ProduceTasks, CountsEveryResultAsATaskForTheProgressBar) {
    TempDir temp;
    test::write_file(temp / "l.txt",
                     "http://h/1.png\n# c\n\nnot a url\nhttp://h/1.png\nhttp://h/2.png\n");
    const ListInputs lists({(temp / "l.txt").string()});
    ResultSink sink(true);
    NameRegistry names;
    ProgressCounters counters;
    std::vector<std::uint64_t> read_before_emit;

    produce_tasks(
        lists, names, sink, [&](const Task&) { read_before_emit.push_back(counters.total.load()); },
        {}, std::nullopt, &counters);

    // Two downloads, one bad line and one duplicate: four tasks; the two reported at once are
    // done, the downloads are not (nothing downloaded them).
    EXPECT_EQ(counters.total.load(), 4U);
    EXPECT_EQ(counters.done.load(), 2U);
    EXPECT_EQ(read_before_emit, (std::vector<std::uint64_t>{1, 4}));
}

TEST(ListInputs, ADirectoryIsASetupErrorNamingIt) {
    TempDir temp;
    try {
        ListInputs lists({temp.path().string()});
        FAIL() << "expected SetupError";
    } catch (const SetupError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot read list '" + temp.path().string() + "': Is a directory");
    }
}

TEST(ListInputs, RegularFilesCanBeReadAheadAndFifosCannot) {
    TempDir temp;
    test::write_file(temp / "l.txt", "http://h/1.png\n");
    const auto fifo = temp / "l.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);

    const ListInputs lists({(temp / "l.txt").string(), fifo.string()});

    ASSERT_EQ(lists.inputs().size(), 2U);
    EXPECT_EQ(lists.inputs()[0].regular_from, off_t{0});
    EXPECT_FALSE(lists.inputs()[1].regular_from);
}

TEST(ListInputs, AnUnreadableListIsASetupErrorNamingIt) {
    TempDir temp;
    try {
        ListInputs lists({(temp / "nope.txt").string()});
        FAIL() << "expected SetupError";
    } catch (const SetupError& e) {
        EXPECT_NE(std::string(e.what()).find("nope.txt"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace imgfetch
