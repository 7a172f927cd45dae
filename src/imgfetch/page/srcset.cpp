#include "imgfetch/page/srcset.hpp"

#include <cstdlib>
#include <vector>

namespace imgfetch {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

struct Candidate {
    std::string url;
    double width = -1;  // from a "w" descriptor; -1: none
    double density = 1; // from an "x" descriptor
    bool valid = true;
};

// Splits the descriptors after a URL, up to the comma that ends the candidate (outside
// parentheses), starting at `pos`; leaves `pos` after that comma.
std::vector<std::string> read_descriptors(std::string_view text, std::size_t& pos) {
    std::vector<std::string> descriptors;
    std::string current;
    bool in_parens = false;
    for (; pos < text.size(); ++pos) {
        const char c = text[pos];
        if (in_parens) {
            current += c;
            in_parens = c != ')';
        } else if (c == ',') {
            ++pos;
            break;
        } else if (is_space(c)) {
            if (!current.empty()) {
                descriptors.push_back(std::move(current));
                current.clear();
            }
        } else {
            current += c;
            in_parens = c == '(';
        }
    }
    if (!current.empty()) {
        descriptors.push_back(std::move(current));
    }
    return descriptors;
}

// A positive number written as the standard allows (digits, an optional fraction): its value,
// or -1.
double positive_number(std::string_view digits, bool integer_only) {
    if (digits.empty() || digits.size() > 32) {
        return -1;
    }
    bool dot = false;
    for (const char c : digits) {
        if (c == '.' && !dot && !integer_only) {
            dot = true;
        } else if (c < '0' || c > '9') {
            return -1;
        }
    }
    const std::string copy(digits);
    const double value = std::strtod(copy.c_str(), nullptr);
    return value > 0 ? value : -1;
}

void apply_descriptor(Candidate& candidate, std::string_view descriptor) {
    const char unit = descriptor.back();
    const std::string_view number = descriptor.substr(0, descriptor.size() - 1);
    if (unit == 'w' && candidate.width < 0) {
        candidate.width = positive_number(number, true);
        candidate.valid = candidate.valid && candidate.width > 0;
    } else if (unit == 'x') {
        candidate.density = positive_number(number, false);
        candidate.valid = candidate.valid && candidate.density > 0;
    } else if (unit != 'h') {
        candidate.valid = false; // unknown or repeated descriptor
    }
}

std::vector<Candidate> parse_candidates(std::string_view text) {
    std::vector<Candidate> candidates;
    std::size_t pos = 0;
    while (true) {
        while (pos < text.size() && (is_space(text[pos]) || text[pos] == ',')) {
            ++pos;
        }
        if (pos >= text.size()) {
            return candidates;
        }
        const std::size_t start = pos;
        while (pos < text.size() && !is_space(text[pos])) {
            ++pos;
        }
        Candidate candidate;
        std::string_view url = text.substr(start, pos - start);
        if (url.back() == ',') {
            while (!url.empty() && url.back() == ',') {
                url.remove_suffix(1);
            }
        } else {
            for (const std::string& descriptor : read_descriptors(text, pos)) {
                apply_descriptor(candidate, descriptor);
            }
        }
        candidate.url = std::string(url);
        if (candidate.valid && !candidate.url.empty()) {
            candidates.push_back(std::move(candidate));
        }
    }
}

} // namespace

std::optional<std::string> largest_srcset_candidate(std::string_view srcset) {
    const std::vector<Candidate> candidates = parse_candidates(srcset);
    bool any_width = false;
    for (const Candidate& candidate : candidates) {
        any_width = any_width || candidate.width > 0;
    }
    const Candidate* best = nullptr;
    for (const Candidate& candidate : candidates) {
        const double size = any_width ? candidate.width : candidate.density;
        const double best_size = best == nullptr ? 0 : (any_width ? best->width : best->density);
        if (best == nullptr || size > best_size) {
            best = &candidate;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    return best->url;
}

} // namespace imgfetch
