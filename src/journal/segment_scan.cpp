#include "journal/segment_scan.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "journal/crc32c.hpp"
#include "journal/format.hpp"

namespace cx::journal {
namespace {

using format::kRecordHeaderSize;

std::unexpected<Error> corrupt(const SegmentView& seg, std::size_t offset, std::string_view what) {
  std::string msg = "journal segment ";
  msg += seg.path != nullptr ? seg.path->string() : std::string("?");
  msg += ", offset ";
  msg += std::to_string(offset);
  msg += ": ";
  msg += what;
  return fail(ErrorCode::Corrupt, std::move(msg));
}

struct Found {
  std::size_t offset;
  SeqNo seq;
};

// A valid commit-start record at some offset after `offset` with a seq that could follow
// `expected`. Its presence means the damage at `offset` is not a torn tail: a later commit was
// written (and so acknowledged) after the damaged record.
std::optional<Found> find_commit_after(std::span<const std::byte> bytes, std::size_t offset,
                                       SeqNo expected) noexcept {
  if (bytes.size() < kRecordHeaderSize) return std::nullopt;
  const std::uint64_t max_records = (bytes.size() - offset) / kRecordHeaderSize;
  for (std::size_t o = offset + 1; o + kRecordHeaderSize <= bytes.size(); ++o) {
    const std::byte* p = bytes.data() + o;
    const std::uint32_t length_flags = format::get_u32(p + 4);
    if ((length_flags & ~format::kLengthMask) != format::kFlagCommitStart) continue;
    const SeqNo seq = format::get_u64(p + 8);
    if (seq < expected || seq - expected > max_records) continue;
    const std::size_t length = length_flags & format::kLengthMask;
    if (length > bytes.size() - o - kRecordHeaderSize) continue;
    if (crc32c(bytes.subspan(o + 4, kRecordHeaderSize - 4 + length)) != format::get_u32(p))
      continue;
    return Found{o, seq};
  }
  return std::nullopt;
}

Result<ScanStep> on_damage(const SegmentView& seg, std::size_t offset, SeqNo expected,
                           std::string_view what) {
  std::string msg(what);
  msg += " (expected seq ";
  msg += std::to_string(expected);
  msg += ')';
  if (!seg.is_last) {
    msg += " in a segment that is not the last";
    return corrupt(seg, offset, msg);
  }
  if (auto later = find_commit_after(seg.bytes, offset, expected)) {
    msg += ", followed by a valid commit at offset ";
    msg += std::to_string(later->offset);
    msg += " (seq ";
    msg += std::to_string(later->seq);
    msg += ')';
    return corrupt(seg, offset, msg);
  }
  return ScanStep::TornTail;
}

}  // namespace

Result<bool> check_segment_header(const SegmentView& seg) {
  const auto bytes = seg.bytes;
  if (bytes.size() < format::kSegmentHeaderSize) {
    if (seg.is_last) return false;
    return corrupt(seg, 0, "segment header incomplete in a segment that is not the last");
  }
  const bool magic_ok = std::equal(format::kMagic.begin(), format::kMagic.end(), bytes.begin());
  const std::uint32_t version = format::get_u32(bytes.data() + 4);
  const SeqNo first_seq = format::get_u64(bytes.data() + 8);
  if (magic_ok && version == format::kFormatVersion && first_seq == seg.first_seq) return true;
  if (seg.is_last &&
      std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; })) {
    return false;  // never written: the file was extended but its blocks were not
  }
  if (!magic_ok) return corrupt(seg, 0, "bad segment magic");
  if (version != format::kFormatVersion) {
    return corrupt(seg, 4, "unsupported segment format version " + std::to_string(version));
  }
  return corrupt(seg, 8,
                 "segment header says first seq " + std::to_string(first_seq) +
                     ", the file name says " + std::to_string(seg.first_seq));
}

Result<ScanStep> scan_record(const SegmentView& seg, std::size_t& offset, SeqNo& expected,
                             ScannedRecord& out) {
  const std::size_t remaining = seg.bytes.size() - offset;
  if (remaining == 0) return ScanStep::End;
  if (remaining < kRecordHeaderSize) {
    return on_damage(seg, offset, expected, "record header runs past the end of the file");
  }
  const std::byte* p = seg.bytes.data() + offset;
  const std::uint32_t length_flags = format::get_u32(p + 4);
  const std::size_t length = length_flags & format::kLengthMask;
  if ((length_flags & ~format::kLengthMask & ~format::kKnownFlags) != 0) {
    return on_damage(seg, offset, expected, "unknown record flags");
  }
  if (length > remaining - kRecordHeaderSize) {
    return on_damage(seg, offset, expected, "record runs past the end of the file");
  }
  if (crc32c(seg.bytes.subspan(offset + 4, kRecordHeaderSize - 4 + length)) != format::get_u32(p)) {
    return on_damage(seg, offset, expected, "checksum mismatch");
  }
  const SeqNo seq = format::get_u64(p + 8);
  if (seq != expected) {
    return corrupt(seg, offset,
                   "record has seq " + std::to_string(seq) + ", expected " +
                       std::to_string(expected) + " (sequence gap)");
  }
  out.seq = seq;
  out.commit_start = (length_flags & format::kFlagCommitStart) != 0;
  out.payload = seg.bytes.subspan(offset + kRecordHeaderSize, length);
  offset += kRecordHeaderSize + length;
  ++expected;
  return ScanStep::Record;
}

}  // namespace cx::journal
