#include "journal/log_reader.hpp"

#include <string>

#include "journal/format.hpp"
#include "journal/segment_scan.hpp"

namespace cx::journal {

Result<LogReader> LogReader::open(const std::filesystem::path& dir, SeqNo from_seq) {
  auto segments = list_segments(dir);
  if (!segments) return std::unexpected(segments.error());
  LogReader r;
  r.segments_ = std::move(*segments);
  r.from_seq_ = from_seq;
  if (r.segments_.empty()) {
    r.done_ = true;
    return r;
  }
  if (from_seq != 0 && from_seq < r.segments_.front().first_seq) {
    return fail(ErrorCode::InvalidArgument, "journal " + dir.string() + " starts at seq " +
                                                std::to_string(r.segments_.front().first_seq) +
                                                "; records from seq " + std::to_string(from_seq) +
                                                " were removed");
  }
  // Start in the last segment whose first seq is <= from_seq.
  std::size_t start = 0;
  while (start + 1 < r.segments_.size() && r.segments_[start + 1].first_seq <= from_seq) ++start;
  auto opened = r.open_segment(start);
  if (!opened) return std::unexpected(opened.error());
  return r;
}

Result<bool> LogReader::open_segment(std::size_t index) {
  const SegmentFile& file = segments_[index];
  map_.reset();
  auto mapped = MappedFile::open(file.path);
  if (!mapped) return std::unexpected(mapped.error());
  map_ = std::move(*mapped);
  index_ = index;
  const SegmentView seg{map_.bytes(), &file.path, file.first_seq, index + 1 == segments_.size()};
  auto header_ok = check_segment_header(seg);
  if (!header_ok) return header_ok;
  if (!*header_ok) {
    done_ = true;
    return false;
  }
  offset_ = format::kSegmentHeaderSize;
  expected_ = file.first_seq;
  return true;
}

Result<bool> LogReader::next(Record& out) {
  ScannedRecord rec;
  while (!done_) {
    const SegmentFile& file = segments_[index_];
    const SegmentView seg{map_.bytes(), &file.path, file.first_seq, index_ + 1 == segments_.size()};
    auto step = scan_record(seg, offset_, expected_, rec);
    if (!step) return std::unexpected(std::move(step.error()));
    switch (*step) {
      case ScanStep::Record:
        if (rec.seq < from_seq_) continue;
        out.seq = rec.seq;
        out.payload = rec.payload;
        return true;
      case ScanStep::End:
        if (index_ + 1 == segments_.size()) {
          done_ = true;
          break;
        }
        if (segments_[index_ + 1].first_seq != expected_) {
          const SegmentFile& later = segments_[index_ + 1];
          return fail(ErrorCode::Corrupt, "journal segment " + later.path.string() +
                                              " starts at seq " + std::to_string(later.first_seq) +
                                              ", expected " + std::to_string(expected_) +
                                              " (sequence gap between segments)");
        }
        if (auto opened = open_segment(index_ + 1); !opened) return opened;
        break;
      case ScanStep::TornTail:
        done_ = true;
        break;
    }
  }
  return false;
}

}  // namespace cx::journal
