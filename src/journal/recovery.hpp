#pragma once
/// Start-up recovery of a journal directory: validate every segment and record, cut a torn tail
/// off the last segment, and report what is left. docs/journal.md, "Recovery", has the rules.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace cx::journal {

/// What recovery cut off the end of the log.
struct TornTail {
  std::filesystem::path file;    ///< the segment that was cut (or removed)
  std::uint64_t offset = 0;      ///< where the cut was made: the file's new size
  std::uint64_t bytes_cut = 0;   ///< bytes removed
  bool segment_removed = false;  ///< the segment's own header was torn, so the file was deleted
};

/// The state of the log after recovery.
struct RecoveryReport {
  SeqNo first_seq = 0;                ///< first record in the log; 0 if it holds none
  SeqNo last_seq = 0;                 ///< last good record; 0 if the log holds none
  std::uint64_t records = 0;          ///< records kept
  std::size_t segments = 0;           ///< segment files kept
  std::optional<TornTail> torn_tail;  ///< set when a torn tail was cut off
};

/// The last segment as recovery left it, for the writer to append to.
struct RecoveredTail {
  std::filesystem::path path;
  SeqNo first_seq = 0;
  std::uint64_t size = 0;     ///< bytes, header included
  std::uint64_t records = 0;  ///< records in it
};

struct Recovered {
  RecoveryReport report;
  std::optional<RecoveredTail> tail;  ///< nullopt: the directory has no segment
  SeqNo next_seq = 0;                 ///< seq the next record must carry; 0: any (empty log)
};

/// Recovers the journal in `dir` (which must exist). Cuts a torn tail off (and makes the cut
/// durable); fails with Corrupt, changing nothing, on damage that is not a torn tail, and with
/// IoError when the files cannot be read or changed. The caller must hold the directory lock.
Result<Recovered> recover_directory(const std::filesystem::path& dir);

}  // namespace cx::journal
