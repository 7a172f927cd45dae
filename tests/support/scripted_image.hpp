#pragma once

// An image served by a scripted raw HTTP/1.1 server, request by request (for --resume's tests):
// cut short, whole whatever Range says, a 206 that honours Range and If-Range, or a 416.

#include <algorithm>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/images.hpp"
#include "support/raw_server.hpp"

namespace imgfetch::test {

// How the server answers one request.
enum class Answer {
    cut,           // 200 with the whole length announced, then the connection closes early
    whole,         // 200 with the whole body, whatever Range says (a server without ranges)
    honour_range,  // 206 with the rest when Range and If-Range match the current body, else 200
    unsatisfiable, // 416, as to a range that starts at or after the end of the file
    any_range,     // 206 with the rest of the current body, If-Range or not (a broken cache)
    bounded_range, // 206 with only the next 1000 bytes (a server capping open ranges)
    stall,         // as cut, but the connection stays open and silent until the client leaves
};

// What the server saw of one request.
struct SeenRequest {
    std::string range;    // its Range header's value, "" when none
    std::string if_range; // its If-Range header's value, "" when none
    int status = 0;       // what it answered
};

// The value of header `name` ("Range") in a request head, "" when absent. Names as imgfetch
// (libcurl) writes them.
inline std::string request_header_value(const std::string& head, const std::string& name) {
    const std::string key = "\r\n" + name + ": ";
    const auto at = head.find(key);
    if (at == std::string::npos) {
        return "";
    }
    const auto start = at + key.size();
    return head.substr(start, head.find("\r\n", start) - start);
}

// One image at /img.png, answered request by request as the test scripts it (the last answer
// repeats). Thread-safe: connections run on the server's threads.
class ScriptedImage {
public:
    static constexpr std::size_t k_cut_at = 200'000; // bytes of the body sent before a cut

    ScriptedImage() : m_server([this](RawConnection& c) { serve(c); }) {}

    std::string url() const { return m_server.url("/img.png"); }

    void set(std::vector<Answer> answers) {
        const std::lock_guard lock(m_mutex);
        m_answers = std::move(answers);
    }
    // A new version of the file: other bytes, and `etag` ("" for none) and `last_modified` (an
    // HTTP date, "" for none; sent with a Date of now, which makes it a strong validator).
    void change(std::string body, std::string etag, std::string last_modified = "") {
        const std::lock_guard lock(m_mutex);
        m_body = std::move(body);
        m_etag = std::move(etag);
        m_last_modified = std::move(last_modified);
    }
    std::string body() const {
        const std::lock_guard lock(m_mutex);
        return m_body;
    }
    std::vector<SeenRequest> seen() const {
        const std::lock_guard lock(m_mutex);
        return m_seen;
    }

private:
    void serve(RawConnection& connection) {
        const std::string head = connection.read_request();
        if (head.find("\r\n\r\n") == std::string::npos) {
            return;
        }
        std::string response;
        std::size_t send_bytes = 0;
        bool stalled = false;
        {
            const std::lock_guard lock(m_mutex); // m_answers, m_body, m_etag, m_seen
            const Answer answer = m_answers.empty() ? Answer::whole : m_answers.front();
            if (m_answers.size() > 1) {
                m_answers.erase(m_answers.begin());
            }
            stalled = answer == Answer::stall;
            SeenRequest seen{request_header_value(head, "Range"),
                             request_header_value(head, "If-Range"), 200};
            response = respond(answer, seen, send_bytes);
            m_seen.push_back(std::move(seen));
        }
        connection.send(std::string_view(response).substr(0, send_bytes));
        connection.wait_until_received(); // the cut falls after these bytes, not before
        if (stalled) {
            connection.hold();
        }
        connection.close();
    }

    // The response to a request `seen` (whose status it sets) as `answer` says, and in
    // `send_bytes` how much of it goes out. Called with m_mutex held.
    std::string respond(Answer answer, SeenRequest& seen, std::size_t& send_bytes) const {
        const std::string size = std::to_string(m_body.size());
        if (answer == Answer::unsatisfiable) {
            seen.status = 416;
            const std::string refusal =
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" + size +
                "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            send_bytes = refusal.size();
            return refusal;
        }
        std::size_t from = 0;
        std::size_t to = m_body.size(); // one past the last byte sent
        const std::string prefix = "bytes=";
        const bool validated =
            !seen.if_range.empty() && (seen.if_range == m_etag || seen.if_range == m_last_modified);
        const bool ranged = answer == Answer::any_range || answer == Answer::bounded_range ||
                            (answer == Answer::honour_range && validated);
        if (ranged && seen.range.rfind(prefix, 0) == 0) {
            from = std::stoul(seen.range.substr(prefix.size()));
            to = answer == Answer::bounded_range ? std::min(to, from + 1000) : to;
            seen.status = 206;
        }
        std::string response =
            seen.status == 206 ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
        response += "Content-Type: image/png\r\n";
        response += "Content-Length: " + std::to_string(to - from) + "\r\n";
        if (seen.status == 206) {
            response += "Content-Range: bytes " + std::to_string(from) + "-" +
                        std::to_string(to - 1) + "/" + size + "\r\n";
        }
        if (!m_etag.empty()) {
            response += "ETag: " + m_etag + "\r\nAccept-Ranges: bytes\r\n";
        }
        if (!m_last_modified.empty()) {
            response += "Last-Modified: " + m_last_modified + "\r\nDate: " + http_now() + "\r\n";
        }
        response += "Connection: close\r\n\r\n";
        const std::size_t header_bytes = response.size();
        response += m_body.substr(from, to - from);
        const bool short_of_end = answer == Answer::cut || answer == Answer::stall;
        send_bytes = short_of_end ? header_bytes + k_cut_at : response.size();
        return response;
    }

    static std::string http_now() {
        const std::time_t now = std::time(nullptr);
        std::tm utc{};
        ::gmtime_r(&now, &utc);
        char text[64];
        return std::string(text,
                           std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc));
    }

    mutable std::mutex m_mutex; // guards m_answers, m_body, m_etag, m_last_modified and m_seen
    std::vector<Answer> m_answers;
    std::string m_body = fake_png(7, 600'000);
    std::string m_etag = "\"v1\"";
    std::string m_last_modified;
    std::vector<SeenRequest> m_seen;
    RawServer m_server; // last: stopped (its threads joined) before the members go
};

} // namespace imgfetch::test
