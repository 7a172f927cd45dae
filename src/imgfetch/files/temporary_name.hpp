#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/list/shard.hpp"

namespace imgfetch {

// The names of download temporaries in DIR, in one place: AtomicFile makes them, the clean-up
// after a killed run recognises them. An unsharded run's temporaries are
// ".imgfetch-<16 hex digits>.part"; shard K of N's ".imgfetch-<16 hex digits>.shard-K-of-N.part",
// so a shard can tell its own leftovers from those of a shard still running. Under --resume a
// URL's temporary has a stable name instead, ".imgfetch-<16 hex digits>.resume.part".

// "" for an unsharded run, ".shard-K-of-N" for a shard: what AtomicFile puts before ".part".
std::string temporary_owner_tag(const std::optional<Shard>& shard);

// 16 random lower-case hex digits for a temporary's name. Thread-safe: the generator is per
// thread, so no lock is needed.
std::string random_hex16();

// ".imgfetch-" + `random16` + `owner_tag` + ".part"; `random16` is 16 hex digits.
std::string temporary_name(std::string_view random16, std::string_view owner_tag);

// The owner tag of a name made by temporary_name(), or nothing for any other name (a resumable
// temporary's included).
std::optional<std::string> temporary_owner_of(std::string_view name);

// --resume: the stable name of a URL's temporary, ".imgfetch-" + `key16` + ".resume.part", the
// same for every attempt and run (and shard: each URL belongs to one shard). `key16` is 16 hex
// digits derived from the URL.
std::string resume_temporary_name(std::string_view key16);

// True for a name made by resume_temporary_name().
bool is_resume_temporary_name(std::string_view name);

} // namespace imgfetch
