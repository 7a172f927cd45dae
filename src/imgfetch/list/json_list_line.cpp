#include "imgfetch/list/json_list_line.hpp"

#include <string>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "imgfetch/list/row_fields.hpp"

namespace imgfetch {

namespace {

using nlohmann::json;

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string without_prefix(const char* what) {
    const std::string_view text(what);
    const auto end = text.find("] ");
    return std::string(end == std::string_view::npos ? text : text.substr(end + 2));
}

// The string at `key`, or nothing when absent or null; false when it is another type.
bool optional_string(const json& object, const char* key, std::string& out) {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) {
        return true;
    }
    if (!found->is_string()) {
        return false;
    }
    out = found->get<std::string>();
    return true;
}

// Empty when "headers" is absent, null or an object of strings that may be sent.
std::string read_headers(const json& object, std::vector<std::string>& out) {
    const auto found = object.find("headers");
    if (found == object.end() || found->is_null()) {
        return {};
    }
    if (!found->is_object()) {
        return "\"headers\" is not an object";
    }
    for (const auto& [name, value] : found->items()) {
        if (!value.is_string()) {
            return "header '" + name.substr(0, 100) + "' is not a string";
        }
        const auto& text = value.get_ref<const std::string&>();
        if (std::string problem = header_problem(name, text); !problem.empty()) {
            return problem;
        }
        std::string header = name; // "Name:" alone when the value is empty (as in --header)
        header += text.empty() ? ":" : ": ";
        header += text;
        out.push_back(std::move(header));
    }
    return {};
}

// The optional keys into `entry`; empty, or why the line is bad.
std::string read_details(const json& object, ListEntry& entry) {
    if (!optional_string(object, "referer", entry.referer)) {
        return "\"referer\" is not a string";
    }
    if (has_line_break(entry.referer)) {
        return "\"referer\" holds a line break or NUL";
    }
    std::string hash;
    if (!optional_string(object, "sha256", hash)) {
        return "\"sha256\" is not a string";
    }
    if (!hash.empty()) {
        std::optional<std::string> normalized = normalized_sha256(hash);
        if (!normalized) {
            return bad_sha256_reason(hash);
        }
        entry.expected_sha256 = std::move(*normalized);
    }
    return read_headers(object, entry.headers);
}

bool is_blank_json_line(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

} // namespace

ParsedLine parse_json_list_line(std::string_view line) {
    if (is_blank_json_line(line)) {
        return BlankLine{};
    }
    json object;
    try {
        object = json::parse(line.begin(), line.end());
    } catch (const json::exception& e) {
        // parse_error, and out_of_range too: a number too large for a double ("1E999").
        return BadLine{"bad JSON: " + without_prefix(e.what())};
    }
    if (!object.is_object()) {
        return BadLine{"not a JSON object"};
    }
    const auto url = object.find("url");
    if (url == object.end() || !url->is_string()) {
        return BadLine{url == object.end() ? "no \"url\"" : "\"url\" is not a string"};
    }
    std::string name;
    if (!optional_string(object, "name", name)) {
        return BadLine{"\"name\" is not a string"};
    }
    ParsedLine parsed = make_list_entry(url->get_ref<const std::string&>(), name);
    if (auto* entry = std::get_if<ListEntry>(&parsed)) {
        if (std::string problem = read_details(object, *entry); !problem.empty()) {
            return BadLine{std::move(problem)};
        }
    }
    return parsed;
}

} // namespace imgfetch
