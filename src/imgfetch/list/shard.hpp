#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/list/url.hpp" // normalized_url(), which the shard hash is defined on

namespace imgfetch {

// One slice of a list split across N independent runs: this run keeps the URLs whose
// stable hash falls in slice `index` (0-based) of `count`.
struct Shard {
    unsigned index = 0;
    unsigned count = 1;
};

// Pure: "K/N" with 0 <= K < N <= 1,000,000 -> the shard; nothing otherwise.
std::optional<Shard> parse_shard(std::string_view text);

// Reads an environment variable; nullptr when unset. Injected so tests need no setenv().
using EnvLookup = std::function<const char*(const char*)>;

// The outcome of --shard auto: a shard, or an error text saying which variable is missing
// or malformed.
struct ShardFromEnv {
    std::optional<Shard> shard;
    std::string error;
};

// --shard auto: Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX, with the count from
// `shards_flag`, --shards N) or Slurm job arrays (SLURM_ARRAY_TASK_ID minus
// SLURM_ARRAY_TASK_MIN, which defaults to 0, and SLURM_ARRAY_TASK_COUNT; --shards N, when
// given, must agree). Kubernetes is tried first. A Slurm array must be contiguous with step
// 1 (SLURM_ARRAY_TASK_MAX and _STEP are checked when set), or some shard would never run.
// Only the variables of the scheduler in use are read and checked.
ShardFromEnv shard_from_environment(std::optional<unsigned> shards_flag, const EnvLookup& env);

// Stable across runs, machines and versions: FNV-1a (64-bit) of normalized_url().
std::uint64_t shard_hash(std::string_view url);

// shard_hash() of a URL already normalized (ParsedUrl::normalized): no second parse.
std::uint64_t shard_hash_of_normalized(std::string_view normalized);

// True when `url` belongs to `shard`: shard_hash(url) % count == index.
bool in_shard(std::string_view url, const Shard& shard);

// in_shard() of a URL already normalized (ParsedUrl::normalized, Task::normalized_url).
bool normalized_in_shard(std::string_view normalized, const Shard& shard);

} // namespace imgfetch
