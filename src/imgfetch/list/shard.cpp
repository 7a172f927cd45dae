#include "imgfetch/list/shard.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <memory>
#include <utility>

#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

constexpr unsigned k_max_shards = 1'000'000;

std::optional<unsigned> parse_unsigned(std::string_view text) {
    unsigned value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<Shard> make_shard(unsigned index, unsigned count) {
    if (count == 0 || count > k_max_shards || index >= count) {
        return std::nullopt;
    }
    return Shard{index, count};
}

} // namespace

std::optional<Shard> parse_shard(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    const auto index = parse_unsigned(text.substr(0, slash));
    const auto count = parse_unsigned(text.substr(slash + 1));
    if (!index || !count) {
        return std::nullopt;
    }
    return make_shard(*index, *count);
}

namespace {

// Environment variables read as numbers. A variable that is set must be a number: a typo in a
// job script is an error, not "variable unset" (which could make every task run the same
// shard). The first such error is kept in `error`.
struct EnvNumbers {
    const EnvLookup& env;
    std::string error;

    std::optional<unsigned> operator()(const char* name) {
        const char* value = env(name);
        if (value == nullptr) {
            return std::nullopt;
        }
        auto parsed = parse_unsigned(value);
        if (!parsed && error.empty()) {
            error = std::string(name) + " is not a number: '" + printable(value) + "'";
        }
        return parsed;
    }
};

ShardFromEnv failed(std::string text) {
    return ShardFromEnv{std::nullopt, std::move(text)};
}

// A Kubernetes Indexed Job's task: JOB_COMPLETION_INDEX, and the count from --shards.
ShardFromEnv kubernetes_shard(std::optional<unsigned> shards_flag, EnvNumbers& numbers) {
    const auto index = numbers("JOB_COMPLETION_INDEX");
    if (!index) {
        return failed(numbers.error);
    }
    if (!shards_flag) {
        return failed("JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job): give the Job's "
                      "completions as --shards N");
    }
    if (auto shard = make_shard(*index, *shards_flag)) {
        return {shard, {}};
    }
    return failed("JOB_COMPLETION_INDEX=" + std::to_string(*index) + " is not below --shards " +
                  std::to_string(*shards_flag));
}

// A Slurm job array's task: SLURM_ARRAY_TASK_ID of a contiguous array with step 1.
ShardFromEnv slurm_shard(std::optional<unsigned> shards_flag, EnvNumbers& numbers) {
    const auto task_id = numbers("SLURM_ARRAY_TASK_ID");
    const auto count = numbers("SLURM_ARRAY_TASK_COUNT");
    const auto min = numbers("SLURM_ARRAY_TASK_MIN");
    const auto max = numbers("SLURM_ARRAY_TASK_MAX");
    const auto step = numbers("SLURM_ARRAY_TASK_STEP");
    if (!numbers.error.empty()) {
        return failed(numbers.error);
    }
    if (!count) {
        return failed("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
    }
    if (*count == 0 || *count > k_max_shards) {
        return failed("SLURM_ARRAY_TASK_COUNT=" + std::to_string(*count) +
                      " is not a number of shards (1 to " + std::to_string(k_max_shards) + ")");
    }
    if (shards_flag && *shards_flag != *count) {
        return failed("--shards " + std::to_string(*shards_flag) +
                      " disagrees with SLURM_ARRAY_TASK_COUNT=" + std::to_string(*count));
    }
    const unsigned first = min.value_or(0);
    const std::string contiguous = " (use a contiguous array with step 1, such as --array=0-" +
                                   std::to_string(*count - 1) + ")";
    // With gaps or a step, COUNT tasks do not cover shards 0..COUNT-1: refuse in every
    // task rather than leave a slice of the list undone.
    if ((step && *step != 1) || (max && (*max < first || *max - first != *count - 1))) {
        return failed("the Slurm array is not contiguous: SLURM_ARRAY_TASK_MIN=" +
                      std::to_string(first) + ", _MAX=" + (max ? std::to_string(*max) : "?") +
                      ", _STEP=" + (step ? std::to_string(*step) : "1") +
                      ", _COUNT=" + std::to_string(*count) + contiguous);
    }
    if (*task_id >= first) {
        if (auto shard = make_shard(*task_id - first, *count)) {
            return {shard, {}};
        }
    }
    return failed("SLURM_ARRAY_TASK_ID=" + std::to_string(*task_id) +
                  " minus SLURM_ARRAY_TASK_MIN=" + std::to_string(first) + " is not a shard of " +
                  std::to_string(*count) + contiguous);
}

} // namespace

ShardFromEnv shard_from_environment(std::optional<unsigned> shards_flag, const EnvLookup& env) {
    EnvNumbers numbers{env, {}};
    if (env("JOB_COMPLETION_INDEX") != nullptr) {
        return kubernetes_shard(shards_flag, numbers);
    }
    if (env("SLURM_ARRAY_TASK_ID") != nullptr) {
        return slurm_shard(shards_flag, numbers);
    }
    return failed("neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID "
                  "(Slurm job array) is set; give the shard as --shard K/N");
}

std::uint64_t shard_hash(std::string_view url) {
    return shard_hash_of_normalized(normalized_url(url));
}

std::uint64_t shard_hash_of_normalized(std::string_view normalized) {
    std::uint64_t hash = 14695981039346656037ULL; // FNV-1a offset basis
    for (const char c : normalized) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL; // FNV prime
    }
    return hash;
}

bool in_shard(std::string_view url, const Shard& shard) {
    return shard_hash(url) % shard.count == shard.index;
}

bool normalized_in_shard(std::string_view normalized, const Shard& shard) {
    return shard_hash_of_normalized(normalized) % shard.count == shard.index;
}

} // namespace imgfetch
