#pragma once

#include <sys/types.h>

#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "imgfetch/list/interruptible_input.hpp"
#include "imgfetch/list/list_format.hpp"
#include "imgfetch/list/list_lines.hpp"
#include "imgfetch/list/shard.hpp"
#include "imgfetch/list/task.hpp"
#include "imgfetch/report/result_sink.hpp"

namespace imgfetch {

class NameRegistry;
class NameTemplate;
class PageSource;
struct ProgressCounters;

// The URL lists of a run, opened up front so an unreadable one stops the run before any
// download (exit code 2).
class ListInputs {
public:
    // `paths` in order; "-" is standard input. Throws SetupError naming a list that cannot be
    // opened, is a directory, or is a regular file whose first read fails. FIFOs are opened
    // without blocking. Reading ends early (as end of input) once `stop` is requested, even on
    // an idle pipe. Each list is read in `format` (its extension decides under auto_detect);
    // a CSV or TSV list's header row is read here, and one without the columns `format`
    // names is a SetupError too.
    explicit ListInputs(const std::vector<std::string>& paths, std::stop_token stop = {},
                        const ListFormat& format = {});
    ~ListInputs();

    struct Input {
        std::string display_name; // "urls.txt" or "<stdin>"
        std::istream* stream;
        const InterruptibleInput* source; // tells a read error from the end of input
        int fd;                           // read by `source`, open as long as the ListInputs
        // A regular file: the offset its text starts at (0, or where a shell left standard
        // input), so it can be read ahead with pread() without moving `stream`. Nothing for
        // pipes, FIFOs and terminals, which can be read only once.
        std::optional<off_t> regular_from;
        InputFormat format; // resolved: never auto_detect
        ListLines* lines;   // reads `stream` in `format`; owned by the ListInputs
    };
    const std::vector<Input>& inputs() const { return m_inputs; }

    // Pages (issue 15): the --page URLs, read before the lists (the N-th one's results report
    // line N), and where every page's images come from, --input-format pages lists' included.
    // `source` must outlive this object. Without a source, no page is read: a pages list's
    // lines fail ("no page source").
    void set_pages(std::vector<std::string> pages, PageSource* source) {
        m_pages = std::move(pages);
        m_page_source = source;
    }
    const std::vector<std::string>& pages() const { return m_pages; }
    PageSource* page_source() const { return m_page_source; }

    // Layouts (issue 16): the template every task's name is expanded from (--layout url,
    // --name-template); none = today's flat names. `name_template` must outlive this object.
    void set_name_template(const NameTemplate* name_template) { m_template = name_template; }
    const NameTemplate* name_template() const { return m_template; }

private:
    const NameTemplate* m_template = nullptr;
    std::vector<std::string> m_pages;
    PageSource* m_page_source = nullptr;
    std::vector<std::unique_ptr<InterruptibleInput>> m_sources;
    std::vector<std::unique_ptr<std::istream>> m_streams;
    std::vector<std::unique_ptr<ListLines>> m_lines; // after m_streams: they read them
    std::vector<Input> m_inputs;
};

// What produce_tasks() did with the lists' lines.
struct ProduceStats {
    std::size_t tasks = 0;        // emitted for download
    std::size_t other_shards = 0; // URL lines (duplicates included) left to other shards
};

// The main thread's half of the pipeline: reads every list in order, line by line, and
// turns each line into either a Task for `emit` (with a unique reserved file name) or a
// result handed straight to `sink` (bad line: failed; URL seen before: duplicate).
// Names are reserved in `names` in list order. Stops early, between lines, once `stop` is
// requested. Main thread only.
//
// With a `shard`, only URLs in_shard() become tasks or duplicates; the others are another
// shard's work: neither emitted nor reported. Names are still reserved for every URL in list
// order, and every line still takes its seq, so names and seqs equal an unsharded run's and
// the shards can share one output directory. Bad lines are reported by shard 0 only (each once
// across the shards); a list's read error by every shard (each one's own read failed).
//
// With `progress`, every result counts as a task read (progress_task_added) before it is
// emitted or reported; the ones reported here (bad lines, duplicates, read errors) also count
// as done at once. count_list_tasks() counts ahead what this reads.
//
// Pages (ListInputs::set_pages; --page first, then the lists in order, where a pages list's
// lines are pages): each page is fetched and its images become tasks in page order, named and
// de-duplicated like list lines, with the page's line, Task::page and (without --referer) the
// page as Referer. A page that cannot be used is one failed result (its URL, page and error).
ProduceStats produce_tasks(const ListInputs& lists, NameRegistry& names, ResultSink& sink,
                           const std::function<void(Task)>& emit, const std::stop_token& stop = {},
                           const std::optional<Shard>& shard = std::nullopt,
                           ProgressCounters* progress = nullptr);

} // namespace imgfetch
