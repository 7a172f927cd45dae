#include "imgfetch/files/temporary_name.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <random>

namespace imgfetch {

namespace {

constexpr std::string_view k_prefix = ".imgfetch-";
constexpr std::string_view k_suffix = ".part";
constexpr std::size_t k_random_digits = 16;
constexpr std::string_view k_resume_suffix = ".resume.part";

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.size() <= 7 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
}

// ".shard-K-of-N" with K and N decimal numbers (the range is parse_shard's business).
bool is_shard_tag(std::string_view tag) {
    constexpr std::string_view k_shard = ".shard-";
    constexpr std::string_view k_of = "-of-";
    if (tag.substr(0, k_shard.size()) != k_shard) {
        return false;
    }
    tag.remove_prefix(k_shard.size());
    const auto of = tag.find(k_of);
    return of != std::string_view::npos && all_digits(tag.substr(0, of)) &&
           all_digits(tag.substr(of + k_of.size()));
}

} // namespace

std::string temporary_owner_tag(const std::optional<Shard>& shard) {
    if (!shard) {
        return "";
    }
    return ".shard-" + std::to_string(shard->index) + "-of-" + std::to_string(shard->count);
}

std::string random_hex16() {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    static constexpr std::string_view k_hex = "0123456789abcdef";
    std::uint64_t value = generator();
    std::string out(k_random_digits, '0');
    for (char& c : out) {
        c = k_hex[value & 0xF];
        value >>= 4;
    }
    return out;
}

std::string temporary_name(std::string_view random16, std::string_view owner_tag) {
    std::string name(k_prefix);
    name += random16;
    name += owner_tag;
    name += k_suffix;
    return name;
}

std::optional<std::string> temporary_owner_of(std::string_view name) {
    if (name.size() < k_prefix.size() + k_random_digits + k_suffix.size() ||
        name.substr(0, k_prefix.size()) != k_prefix ||
        name.substr(name.size() - k_suffix.size()) != k_suffix) {
        return std::nullopt;
    }
    const std::string_view random = name.substr(k_prefix.size(), k_random_digits);
    if (!std::all_of(random.begin(), random.end(), is_lower_hex)) {
        return std::nullopt;
    }
    const std::string_view tag =
        name.substr(k_prefix.size() + k_random_digits,
                    name.size() - k_prefix.size() - k_random_digits - k_suffix.size());
    if (!tag.empty() && !is_shard_tag(tag)) {
        return std::nullopt;
    }
    return std::string(tag);
}

std::string resume_temporary_name(std::string_view key16) {
    std::string name(k_prefix);
    name += key16;
    name += k_resume_suffix;
    return name;
}

bool is_resume_temporary_name(std::string_view name) {
    if (name.size() != k_prefix.size() + k_random_digits + k_resume_suffix.size() ||
        name.substr(0, k_prefix.size()) != k_prefix ||
        name.substr(k_prefix.size() + k_random_digits) != k_resume_suffix) {
        return false;
    }
    const std::string_view key = name.substr(k_prefix.size(), k_random_digits);
    return std::all_of(key.begin(), key.end(), is_lower_hex);
}

} // namespace imgfetch
