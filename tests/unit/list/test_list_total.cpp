// The progress bar's total counted ahead: count_list_tasks() must count exactly what
// produce_tasks() reads from the same file, and ListTotal publishes the sum of a run's lists
// only when every one of them is a regular file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "imgfetch/list/list_total.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/task_source.hpp"
#include "imgfetch/list/url_list.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/ui/progress.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

// A descriptor opened read-only, closed on destruction.
struct OpenFile {
    explicit OpenFile(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
    ~OpenFile() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    int fd;
};

// What a run reports for `paths`: the tasks its progress counters saw read (downloads,
// duplicates, bad lines), every one of them done.
std::uint64_t tasks_produced(const std::vector<std::string>& paths,
                             const std::optional<Shard>& shard = std::nullopt) {
    const ListInputs lists(paths);
    ResultSink sink(KeepRecords::none);
    NameRegistry names;
    ProgressCounters counters;
    produce_tasks(
        lists, names, sink, [&](const Task&) { counters.add_done(); }, {}, shard, &counters);
    EXPECT_EQ(counters.done.load(), counters.total.load()) << "every task read was done";
    return counters.total.load();
}

std::optional<std::uint64_t> counted(const std::string& path,
                                     const std::optional<Shard>& shard = std::nullopt) {
    const OpenFile file(path);
    EXPECT_GE(file.fd, 0) << path;
    return count_list_tasks(file.fd, 0, shard);
}

// A list with every kind of line: URLs with and without names, a repeated URL, comments,
// blank and whitespace-only lines, bad URLs, a NUL byte, a line over the length limit, a BOM
// and CRLF endings, and a last line without a newline.
std::string every_kind_of_line() {
    std::string text = "\xEF\xBB\xBFhttp://h.example/1.png\r\n"
                       "# a comment\n"
                       "\n"
                       "   \t \r\n"
                       "   # an indented comment\n"
                       "http://h.example/2.png two.png\n"
                       "http://h.example/1.png\n"
                       "ftp://h.example/3.png\n"
                       "not a url\n";
    text += std::string("http://h.example/\0nul.png\n", 26);
    text += "http://h.example/" + std::string(ListReader::k_default_max_line_bytes, 'x') + "\n";
    for (int i = 0; i < 200; ++i) {
        text += "http://host" + std::to_string(i % 7) + ".example/" + std::to_string(i) + ".jpg\n";
    }
    text += "http://h.example/last.png";
    return text;
}

TEST(CountListTasks, CountsExactlyWhatTheRunReads) {
    const TempDir temp;
    const auto list = (temp / "urls.txt").string();
    test::write_file(list, every_kind_of_line());

    const std::uint64_t produced = tasks_produced({list});

    // 1, 2, 1 again (duplicate), ftp, "not", NUL, too long, 200 URLs, last.
    EXPECT_EQ(produced, 208U);
    EXPECT_EQ(counted(list), produced);
}

TEST(CountListTasks, CountsOnlyWhatEachShardReports) {
    const TempDir temp;
    const auto list = (temp / "urls.txt").string();
    test::write_file(list, every_kind_of_line());
    const std::uint64_t unsharded = tasks_produced({list});

    std::uint64_t sum_of_urls = 0;
    for (unsigned index = 0; index < 3; ++index) {
        const Shard shard{index, 3};
        const std::uint64_t produced = tasks_produced({list}, shard);
        EXPECT_EQ(counted(list, shard), produced) << "shard " << index;
        EXPECT_LT(produced, unsharded) << "shard " << index;
        sum_of_urls += produced;
    }
    // Bad lines are shard 0's alone, so over the three shards every line is counted once.
    EXPECT_EQ(sum_of_urls, unsharded);
}

TEST(CountListTasks, StartsAtTheGivenOffsetAndLeavesTheDescriptorsOffsetAlone) {
    const TempDir temp;
    const auto list = (temp / "urls.txt").string();
    test::write_file(list,
                     "http://h.example/1.png\nhttp://h.example/2.png\nhttp://h.example/3.png\n");
    const OpenFile file(list);
    ASSERT_GE(file.fd, 0);
    char first[23] = {};
    ASSERT_EQ(::read(file.fd, first, 23), 23); // a shell's reader consumed line 1

    EXPECT_EQ(count_list_tasks(file.fd, 23, std::nullopt), 2U);
    EXPECT_EQ(count_list_tasks(file.fd, 0, std::nullopt), 3U);
    EXPECT_EQ(::lseek(file.fd, 0, SEEK_CUR), 23) << "pread only";
}

TEST(CountListTasks, AReadErrorGivesNoCount) {
    const TempDir temp;
    const OpenFile directory(temp.path().string()); // read() fails: EISDIR
    ASSERT_GE(directory.fd, 0);

    EXPECT_FALSE(count_list_tasks(directory.fd, 0, std::nullopt));
}

TEST(CountListTasks, AStopRequestGivesNoCount) {
    const TempDir temp;
    const auto list = (temp / "urls.txt").string();
    test::write_file(list, "http://h.example/1.png\n");
    std::stop_source stop;
    stop.request_stop();
    const OpenFile file(list);

    EXPECT_FALSE(count_list_tasks(file.fd, 0, std::nullopt, stop.get_token()));
}

TEST(CountListTasks, CountsAMillionLines) {
    const TempDir temp;
    const auto list = (temp / "urls.txt").string();
    std::string text;
    constexpr std::size_t k_lines = 1'000'000;
    text.reserve(k_lines * 40);
    for (std::size_t i = 0; i < k_lines; ++i) {
        text += "http://img.example/p/" + std::to_string(i) + ".jpg\n";
        if (i % 10 == 0) {
            text += "# every tenth URL has a comment after it\n";
        }
    }
    test::write_file(list, text);

    EXPECT_EQ(counted(list), k_lines);
}

// --- ListTotal: the thread that publishes the count -----------------------------------------

TEST(ListTotal, PublishesTheSumOfEveryListWhenAllAreRegularFiles) {
    const TempDir temp;
    const auto a = (temp / "a.txt").string();
    const auto b = (temp / "b.txt").string();
    test::write_file(a, every_kind_of_line());
    test::write_file(b, "http://h.example/1.png\n# and one more\nhttp://h.example/b.png\n");
    const std::uint64_t produced = tasks_produced({a, b});
    EXPECT_EQ(produced, 208U + 2U);

    const ListInputs lists({a, b});
    ProgressCounters counters;
    const ListTotal total(lists, std::nullopt, counters);

    ASSERT_TRUE(test::eventually(
        [&] { return counters.counted.load() != ProgressCounters::k_not_counted; }));
    EXPECT_EQ(counters.counted.load(), produced);
}

TEST(ListTotal, LeavesTheTotalUncountedWhenAListIsAFifo) {
    const TempDir temp;
    const auto file = (temp / "a.txt").string();
    const auto fifo = (temp / "list.fifo").string();
    test::write_file(file, "http://h.example/1.png\n");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);

    const ListInputs lists({file, fifo}); // opens the FIFO without waiting for a writer
    ProgressCounters counters;
    { const ListTotal total(lists, std::nullopt, counters); } // joins any thread it started

    EXPECT_EQ(counters.counted.load(), ProgressCounters::k_not_counted);
}

TEST(ListTotal, AnInterruptEndsTheCountWithoutATotal) {
    const TempDir temp;
    const auto list = (temp / "urls.txt").string();
    test::write_file(list, every_kind_of_line());
    std::stop_source interrupt;
    interrupt.request_stop();

    const ListInputs lists({list});
    ProgressCounters counters;
    { const ListTotal total(lists, std::nullopt, counters, interrupt.get_token()); }

    EXPECT_EQ(counters.counted.load(), ProgressCounters::k_not_counted);
}

} // namespace
} // namespace imgfetch
