#include <gtest/gtest.h>

#include "imgfetch/naming.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/task_source.hpp"
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
