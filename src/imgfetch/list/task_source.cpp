#include "imgfetch/list/task_source.hpp"
#include "imgfetch/util/error_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <variant>

#include <spdlog/spdlog.h>

#include "imgfetch/list/name_allocator.hpp"
#include "imgfetch/list/name_from_url.hpp"
#include "imgfetch/list/name_template.hpp"
#include "imgfetch/list/page_tasks.hpp"
#include "imgfetch/list/sanitize.hpp"
#include "imgfetch/list/url_list.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/ui/progress.hpp"
#include "imgfetch/util/string_table.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// Throws the SetupError for a list that cannot be read, closing `owned_fd` first (-1: none;
// standard input stays open).
[[noreturn]] void unreadable(const std::string& name, int owned_fd, int error) {
    if (owned_fd >= 0) {
        ::close(owned_fd);
    }
    throw SetupError("cannot read list '" + name + "': " + error_text(error));
}

} // namespace

ListInputs::ListInputs(const std::vector<std::string>& paths, std::stop_token stop,
                       const ListFormat& format) {
    for (const std::string& path : paths) {
        const bool is_stdin = path == "-";
        const std::string name = is_stdin ? "<stdin>" : path;
        // O_NONBLOCK: opening a FIFO without a writer must not block (signals are masked in
        // this thread); reads then block in poll(), where an interrupt can end them.
        const int fd =
            is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            unreadable(name, -1, errno);
        }
        const int owned_fd = is_stdin ? -1 : fd;
        // A directory opens fine and fails only at the first read, once downloads have begun.
        // A regular file is read once here (pread: nothing is consumed) so that a file the
        // kernel cannot read is refused now too. Pipes, FIFOs and terminals are not probed: a
        // read there would take their data or block.
        struct stat info {};
        if (::fstat(fd, &info) != 0) {
            unreadable(name, owned_fd, errno);
        }
        if (S_ISDIR(info.st_mode)) {
            unreadable(name, owned_fd, EISDIR);
        }
        std::optional<off_t> regular_from;
        if (S_ISREG(info.st_mode)) {
            // Standard input may be a file the shell opened at some offset: its text starts there.
            const off_t start = is_stdin ? ::lseek(fd, 0, SEEK_CUR) : 0;
            char byte = 0;
            if (start < 0 || ::pread(fd, &byte, 1, start) < 0) {
                unreadable(name, owned_fd, errno);
            }
            regular_from = start;
        }
        // Every list, files too: a "file" may be a FIFO or /dev/fd/N from a shell.
        auto& source =
            m_sources.emplace_back(std::make_unique<InterruptibleInput>(fd, !is_stdin, stop));
        auto& stream = m_streams.emplace_back(std::make_unique<std::istream>(source.get()));
        const InputFormat resolved = resolve_input_format(format.format, path);
        auto& lines = m_lines.emplace_back(open_list_lines(*stream, resolved, format, name));
        m_inputs.push_back(
            {name, stream.get(), source.get(), fd, regular_from, resolved, lines.get()});
    }
}

ListInputs::~ListInputs() = default;

namespace {

// Turns lines into tasks or immediate results. Owned and used by the main thread only.
class TaskMaker {
public:
    TaskMaker(NameRegistry& names, ResultSink& sink, const std::function<void(Task)>& emit,
              const std::optional<Shard>& shard, ProgressCounters* progress)
        : m_names(names), m_sink(sink), m_emit(emit), m_shard(shard), m_progress(progress) {}

    void take(const std::string& list_name, const ListReader::Line& line) {
        if (std::holds_alternative<BlankLine>(line.parsed)) {
            return;
        }
        if (const auto* bad = std::get_if<BadLine>(&line.parsed)) {
            const std::size_t seq = m_next_seq++;
            if (!m_shard || m_shard->index == 0) {
                bad_line(seq, list_name, line.number, bad->reason);
            }
            return;
        }
        take_entry(std::get<ListEntry>(line.parsed), line.number, {});
    }

    // A page's URL at `number`: its images, or one failed result when it gives none.
    void take_page(PageSource* source, const std::string& page_url, std::size_t number) {
        if (source == nullptr) {
            bad_line(m_next_seq++, "page", number, "no page source");
            return;
        }
        PageImages images = source->images_of(page_url, number);
        const std::string page = redact_credentials(page_url);
        if (!images.error.empty()) {
            TransferResult result =
                failed_result(m_next_seq++, number, page_url, "page " + page + ": " + images.error);
            result.page = page;
            reported_at_once(std::move(result));
            return;
        }
        for (std::string& url : images.urls) {
            ListEntry entry;
            std::optional<ParsedUrl> parsed = parse_url(url);
            if (!parsed) {
                continue; // resolved by libcurl, so it parses; skipped if ever not
            }
            entry.url = std::move(url);
            entry.parsed = std::move(*parsed);
            entry.referer = images.referer;
            take_entry(entry, number, page);
        }
    }

    // A URL to download (a list line's or a page's image): a task, or a duplicate.
    void take_entry(const ListEntry& entry, std::size_t number, const std::string& page) {
        const std::size_t seq = m_next_seq++;
        const auto [first_seq, inserted] = m_first_of_url.try_emplace(entry.url, seq);
        // Equal URLs hash alike, so a URL and its duplicates are always in the same shard.
        const bool mine = is_mine(entry.parsed.normalized);
        if (!mine) {
            ++m_stats.other_shards;
        }
        if (!inserted) {
            if (mine) {
                duplicate(seq, number, entry.url, static_cast<std::size_t>(first_seq), page);
            }
            return;
        }
        // Every shard reserves every name, in list order: the names stay an unsharded run's.
        const std::string wanted = entry.name.empty() ? name_from_url(entry.url, entry.parsed.path)
                                                      : sanitize_file_name(entry.name);
        ReservedName reserved = reserve_path(entry, number, wanted);
        if (!mine) {
            return;
        }
        progress_task_added(m_progress); // before the emit: a task is read before it is done
        m_emit(Task{seq, number, entry.url, std::move(reserved.name), reserved.needs_extension,
                    entry.parsed.host, entry.parsed.normalized, entry.referer, entry.headers,
                    entry.expected_sha256, page});
        ++m_stats.tasks;
    }

    const ProduceStats& stats() const { return m_stats; }

    void set_name_template(const NameTemplate* name_template) { m_template = name_template; }

    void read_error(const std::string& list_name) {
        TransferResult result;
        result.seq = m_next_seq++;
        result.status = Status::failed;
        result.error = "error while reading list '" + list_name + "'; the rest of it was skipped";
        reported_at_once(std::move(result));
    }

private:
    // The name under DIR: `wanted` (flat), or the template's path. A {sha256} path is not
    // reserved: equal bytes mean one file, so it is chosen by content at commit time.
    ReservedName reserve_path(const ListEntry& entry, std::size_t number,
                              const std::string& wanted) {
        if (m_template == nullptr) {
            return m_names.reserve(wanted);
        }
        const NameFields fields{host_segment(entry.parsed.host, entry.parsed.normalized),
                                url_directories(entry.parsed.path), wanted, number};
        std::string path = m_template->expand(fields);
        if (m_template->uses_sha256()) {
            const bool needs_extension = !has_image_extension(path);
            return ReservedName{std::move(path), needs_extension};
        }
        return m_names.reserve(path);
    }

    bool is_mine(const std::string& normalized_url) const {
        return !m_shard || normalized_in_shard(normalized_url, *m_shard);
    }

    void bad_line(std::size_t seq, const std::string& list_name, std::size_t number,
                  const std::string& reason) {
        TransferResult result;
        result.seq = seq;
        result.line = number;
        result.status = Status::failed;
        result.error = list_name + ":" + std::to_string(number) + ": " + redact_credentials(reason);
        reported_at_once(std::move(result));
    }

    void duplicate(std::size_t seq, std::size_t number, const std::string& url,
                   std::size_t first_seq, const std::string& page) {
        TransferResult result;
        result.seq = seq;
        result.line = number;
        result.url = redact_credentials(url);
        result.status = Status::duplicate;
        result.duplicate_of = first_seq;
        result.page = page;
        reported_at_once(std::move(result));
    }

    // A result without a download is one more task for the progress bar, done at once.
    void reported_at_once(TransferResult result) {
        progress_task_added(m_progress);
        m_sink.add(std::move(result));
        progress_task_done(m_progress);
    }

    NameRegistry& m_names;
    const NameTemplate* m_template = nullptr; // none: flat names
    ResultSink& m_sink;
    const std::function<void(Task)>& m_emit;
    const std::optional<Shard> m_shard;
    ProgressCounters* const m_progress; // null: no progress bar
    // URL -> seq of its first occurrence. Bounded memory for a list of any length: past a few
    // tens of thousands of URLs it lives in a temporary file (see string_table.hpp).
    StringTable m_first_of_url;
    std::size_t m_next_seq = 0;
    ProduceStats m_stats;
};

} // namespace

ProduceStats produce_tasks(const ListInputs& lists, NameRegistry& names, ResultSink& sink,
                           const std::function<void(Task)>& emit, const std::stop_token& stop,
                           const std::optional<Shard>& shard, ProgressCounters* progress) {
    TaskMaker maker(names, sink, emit, shard, progress);
    maker.set_name_template(lists.name_template());
    for (std::size_t i = 0; i < lists.pages().size() && !stop.stop_requested(); ++i) {
        maker.take_page(lists.page_source(), lists.pages()[i], i + 1);
    }
    for (const ListInputs::Input& input : lists.inputs()) {
        ListReader::Line line;
        while (!stop.stop_requested() && input.lines->next(line)) {
            const auto* entry = std::get_if<ListEntry>(&line.parsed);
            if (input.format == InputFormat::pages && entry != nullptr) {
                maker.take_page(lists.page_source(), entry->url, line.number);
            } else {
                maker.take(input.display_name, line);
            }
        }
        if (input.source->failed() || input.stream->bad()) {
            // Downloads may already be done: a failed line, not a fatal error, keeps the
            // summary, the report and exit code 1 truthful. The next list still runs.
            maker.read_error(input.display_name);
        }
    }
    if (shard) {
        spdlog::debug("shard {}/{}: {} URLs to download, {} left to the other shards", shard->index,
                      shard->count, maker.stats().tasks, maker.stats().other_shards);
    }
    return maker.stats();
}

} // namespace imgfetch
