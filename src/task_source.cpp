#include "imgfetch/task_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <variant>

#include "imgfetch/naming.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/text_escape.hpp"
#include "imgfetch/url_list.hpp"

namespace imgfetch {

ListInputs::ListInputs(const std::vector<std::string>& paths, std::stop_token stop) {
    for (const std::string& path : paths) {
        const bool is_stdin = path == "-";
        // O_NONBLOCK: opening a FIFO without a writer must not block (signals are masked in
        // this thread); reads then block in poll(), where an interrupt can end them.
        const int fd =
            is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            throw SetupError("cannot read list '" + path + "': " + std::strerror(errno));
        }
        // Every list, files too: a "file" may be a FIFO or /dev/fd/N from a shell.
        auto& source =
            m_sources.emplace_back(std::make_unique<InterruptibleInput>(fd, !is_stdin, stop));
        auto& stream = m_streams.emplace_back(std::make_unique<std::istream>(source.get()));
        m_inputs.push_back({is_stdin ? "<stdin>" : path, stream.get(), source.get()});
    }
}

ListInputs::~ListInputs() = default;

namespace {

// Turns lines into tasks or immediate results. Owned and used by the main thread only.
class TaskMaker {
public:
    TaskMaker(NameRegistry& names, ResultSink& sink, const std::function<void(Task)>& emit)
        : m_names(names), m_sink(sink), m_emit(emit) {}

    void take(const std::string& list_name, const ListReader::Line& line) {
        if (std::holds_alternative<BlankLine>(line.parsed)) {
            return;
        }
        if (const auto* bad = std::get_if<BadLine>(&line.parsed)) {
            bad_line(list_name, line.number, bad->reason);
            return;
        }
        const auto& entry = std::get<ListEntry>(line.parsed);
        const std::size_t seq = m_next_seq++;
        const auto [first, inserted] = m_first_seq_of_url.try_emplace(entry.url, seq);
        if (!inserted) {
            duplicate(seq, line.number, entry.url, first->second);
            return;
        }
        const std::string wanted =
            entry.name.empty() ? name_from_url(entry.url) : sanitize_file_name(entry.name);
        ReservedName reserved = m_names.reserve(wanted);
        m_emit(
            Task{seq, line.number, entry.url, std::move(reserved.name), reserved.needs_extension});
        ++m_tasks;
    }

    std::size_t tasks() const { return m_tasks; }

    void read_error(const std::string& list_name) {
        TransferResult result;
        result.seq = m_next_seq++;
        result.status = Status::failed;
        result.error = "error while reading list '" + list_name + "'; the rest of it was skipped";
        m_sink.add(std::move(result));
    }

private:
    void bad_line(const std::string& list_name, std::size_t number, const std::string& reason) {
        TransferResult result;
        result.seq = m_next_seq++;
        result.line = number;
        result.status = Status::failed;
        result.error = list_name + ":" + std::to_string(number) + ": " + redact_credentials(reason);
        m_sink.add(std::move(result));
    }

    void duplicate(std::size_t seq, std::size_t number, const std::string& url,
                   std::size_t first_seq) {
        TransferResult result;
        result.seq = seq;
        result.line = number;
        result.url = redact_credentials(url);
        result.status = Status::duplicate;
        result.duplicate_of = first_seq;
        m_sink.add(std::move(result));
    }

    NameRegistry& m_names;
    ResultSink& m_sink;
    const std::function<void(Task)>& m_emit;
    std::unordered_map<std::string, std::size_t> m_first_seq_of_url;
    std::size_t m_next_seq = 0;
    std::size_t m_tasks = 0;
};

} // namespace

std::size_t produce_tasks(const ListInputs& lists, NameRegistry& names, ResultSink& sink,
                          const std::function<void(Task)>& emit, const std::stop_token& stop) {
    TaskMaker maker(names, sink, emit);
    for (const ListInputs::Input& input : lists.inputs()) {
        ListReader reader(*input.stream);
        ListReader::Line line;
        while (!stop.stop_requested() && reader.next(line)) {
            maker.take(input.display_name, line);
        }
        if (input.source->failed() || input.stream->bad()) {
            // Downloads may already be done: a failed line, not a fatal error, keeps the
            // summary, the report and exit code 1 truthful. The next list still runs.
            maker.read_error(input.display_name);
        }
    }
    return maker.tasks();
}

} // namespace imgfetch
