#include "imgfetch/list/list_total.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <istream>
#include <streambuf>
#include <variant>

#include "imgfetch/list/task_source.hpp"
#include "imgfetch/list/url_list.hpp"
#include "imgfetch/ui/progress.hpp"

namespace imgfetch {

namespace {

// A read-only streambuf over pread() from a fixed starting offset: reads a file a second
// time without touching the offset its first reader advances. One thread only.
class PositionalInput : public std::streambuf {
public:
    PositionalInput(int fd, off_t from) : m_fd(fd), m_offset(from) {}

    bool failed() const { return m_failed; }

protected:
    int_type underflow() override {
        if (gptr() < egptr()) {
            return traits_type::to_int_type(*gptr());
        }
        for (;;) {
            const ssize_t n = ::pread(m_fd, m_buffer.data(), m_buffer.size(), m_offset);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                m_failed = true;
                return traits_type::eof();
            }
            if (n == 0) {
                return traits_type::eof();
            }
            m_offset += n;
            setg(m_buffer.data(), m_buffer.data(), m_buffer.data() + n);
            return traits_type::to_int_type(*gptr());
        }
    }

private:
    int m_fd;
    off_t m_offset;
    bool m_failed = false;
    std::array<char, 64 * 1024> m_buffer{};
};

// Whether a shard run reports this line (see produce_tasks()): its own URLs, duplicates
// included, and bad lines on shard 0 only. A line over the length limit is a bad line.
bool reported_by_shard(const ListReader::RawLine& line, const Shard& shard) {
    if (!line.text) {
        return shard.index == 0;
    }
    const ParsedLine parsed = parse_list_line(*line.text);
    if (std::holds_alternative<BlankLine>(parsed)) {
        return false;
    }
    if (const auto* entry = std::get_if<ListEntry>(&parsed)) {
        return normalized_in_shard(entry->parsed.normalized, shard);
    }
    return shard.index == 0;
}

} // namespace

std::optional<std::uint64_t> count_list_tasks(int fd, off_t from, const std::optional<Shard>& shard,
                                              const std::stop_token& stop) {
    PositionalInput input(fd, from);
    std::istream in(&input);
    // The same reader as produce_tasks(): the same BOM, CR, length limit and line numbers.
    ListReader reader(in);
    ListReader::RawLine line;
    std::uint64_t tasks = 0;
    while (reader.next_raw(line)) {
        if (stop.stop_requested()) {
            return std::nullopt;
        }
        if (shard) {
            // A URL's shard takes libcurl's parse: only sharded runs pay for it.
            tasks += reported_by_shard(line, *shard) ? 1 : 0;
        } else {
            tasks += !line.text || !is_blank_list_line(*line.text) ? 1 : 0;
        }
    }
    if (input.failed() || in.bad()) {
        return std::nullopt;
    }
    return tasks;
}

ListTotal::ListTotal(const ListInputs& lists, const std::optional<Shard>& shard,
                     ProgressCounters& counters, std::stop_token run_stop) {
    const auto& inputs = lists.inputs();
    const bool countable = std::all_of(inputs.begin(), inputs.end(), [](const auto& input) {
        // Only text lists: a CSV row may span lines, and a header row is no task.
        return input.regular_from.has_value() && input.format == InputFormat::text;
    });
    if (!countable) {
        return;
    }
    m_thread = std::jthread(
        [&inputs, shard, &counters, run_stop = std::move(run_stop)](const std::stop_token& own) {
            // Either stop ends the count: ours (destruction) or the run's (an interrupt).
            std::stop_source either;
            const std::stop_callback on_own(own, [&either] { either.request_stop(); });
            const std::stop_callback on_run(run_stop, [&either] { either.request_stop(); });
            std::uint64_t sum = 0;
            for (const ListInputs::Input& input : inputs) {
                const auto tasks =
                    count_list_tasks(input.fd, *input.regular_from, shard, either.get_token());
                if (!tasks) {
                    return; // a read error or a stop: the total stays growing
                }
                sum += *tasks;
            }
            counters.publish_count(sum);
        });
}

} // namespace imgfetch
