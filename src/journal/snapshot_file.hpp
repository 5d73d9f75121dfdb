#pragma once
/// Snapshot files: `<dir>/<20-digit seq>.snap`, the exchange state after command `seq`.
/// Layout (little-endian): magic "CXSS" | version u32 | seq u64 | length u64 | crc32c u32 |
/// reserved u32 | `length` bytes of engine state (engine/state_io.hpp).
/// Written to a temporary name, fsynced, renamed, and the directory fsynced: a snapshot either
/// exists whole or not at all.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "engine/exchange.hpp"

namespace cx::journal {

/// Writes `state` as the snapshot after `seq` in `dir` (created if missing). Returns its path.
Result<std::filesystem::path> write_snapshot(const std::filesystem::path& dir, SeqNo seq,
                                             std::span<const std::byte> state);

struct LoadedSnapshot {
  SeqNo seq = 0;
  std::unique_ptr<engine::Exchange> exchange;
  std::filesystem::path path;
  std::vector<std::string> skipped;  ///< newer snapshots that failed their checks, with reasons
};

/// Loads the newest snapshot in `dir` whose checksum and state are valid, with seq <= `max_seq`.
/// Returns an empty LoadedSnapshot (seq 0, no exchange) when there is none.
Result<LoadedSnapshot> load_newest_snapshot(const std::filesystem::path& dir, SeqNo max_seq);

/// Removes snapshots older than the newest `keep` ones (and temporary files of dead writers).
/// Returns the seq of the oldest snapshot kept (0: none), which bounds what of the log is needed.
SeqNo prune_snapshots(const std::filesystem::path& dir, std::size_t keep);

}  // namespace cx::journal
