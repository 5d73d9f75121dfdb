#pragma once
/// Validation of a mapped segment, record by record, shared by recovery and the reader. Decides
/// what damage means: a torn tail (cut it off) or corruption (refuse to go on). See
/// docs/journal.md, "Recovery".

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace cx::journal {

/// A segment's bytes and its place in the log.
struct SegmentView {
  std::span<const std::byte> bytes;
  const std::filesystem::path* path = nullptr;  ///< for error messages
  SeqNo first_seq = 0;                          ///< from the file name
  bool is_last = false;                         ///< the newest segment, the only one with a tail
};

enum class ScanStep : std::uint8_t {
  Record,    ///< a valid record was read
  End,       ///< clean end of the segment
  TornTail,  ///< the bytes from the current offset to the end are a torn tail (last segment only)
};

struct ScannedRecord {
  SeqNo seq = 0;
  bool commit_start = false;
  std::span<const std::byte> payload;  ///< points into the segment's bytes
};

/// Checks the segment header. true: records start at format::kSegmentHeaderSize. false: the
/// whole file is a torn tail (last segment only: header incomplete, or the file is all zeros).
/// Fails with Corrupt (bad magic, unknown version, seq not matching the name) otherwise.
Result<bool> check_segment_header(const SegmentView& seg);

/// Reads the record at `offset`, whose seq must be `expected`. On Record, fills `out` and moves
/// `offset` past the record and `expected` to the next seq. On End and TornTail, changes nothing.
/// A damaged record (incomplete, bad checksum, unknown flags) is a TornTail only in the last
/// segment and only if no valid commit-start record follows it; otherwise, and for a valid record
/// with the wrong seq, fails with Corrupt naming the file and offset.
Result<ScanStep> scan_record(const SegmentView& seg, std::size_t& offset, SeqNo& expected,
                             ScannedRecord& out);

}  // namespace cx::journal
