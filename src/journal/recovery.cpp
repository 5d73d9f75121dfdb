#include "journal/recovery.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "journal/file_io.hpp"
#include "journal/format.hpp"
#include "journal/segment.hpp"
#include "journal/segment_scan.hpp"

namespace cx::journal {
namespace {

Result<void> cut_file(const std::filesystem::path& path, std::uint64_t new_size) {
  auto fd = open_file(path, O_WRONLY);
  if (!fd) return std::unexpected(fd.error());
  if (::ftruncate(fd->get(), static_cast<off_t>(new_size)) != 0) {
    return std::unexpected(io_error("cannot truncate", path, errno));
  }
  return sync_data(*fd, path);
}

Result<void> remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0) return std::unexpected(io_error("cannot remove", path, errno));
  return sync_dir(path.parent_path());
}

std::unexpected<Error> gap(const SegmentFile& seg, SeqNo expected) {
  return fail(ErrorCode::Corrupt, "journal segment " + seg.path.string() + " starts at seq " +
                                      std::to_string(seg.first_seq) + ", expected " +
                                      std::to_string(expected) +
                                      " (sequence gap between segments)");
}

}  // namespace

Result<Recovered> recover_directory(const std::filesystem::path& dir) {
  auto listed = list_segments(dir);
  if (!listed) return std::unexpected(listed.error());
  const std::vector<SegmentFile>& segments = *listed;

  Recovered out;
  SeqNo expected = 0;  // 0 until the first segment names it
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const SegmentFile& file = segments[i];
    if (expected != 0 && file.first_seq != expected) return gap(file, expected);
    auto mapped = MappedFile::open(file.path);
    if (!mapped) return std::unexpected(mapped.error());
    const SegmentView seg{mapped->bytes(), &file.path, file.first_seq, i + 1 == segments.size()};

    auto header_ok = check_segment_header(seg);
    if (!header_ok) return std::unexpected(header_ok.error());
    if (!*header_ok) {  // the last segment never got its header: drop the file
      const std::uint64_t size = seg.bytes.size();
      mapped->reset();
      if (auto r = remove_file(file.path); !r) return std::unexpected(r.error());
      out.report.torn_tail = TornTail{file.path, 0, size, true};
      break;
    }

    expected = file.first_seq;
    std::size_t offset = format::kSegmentHeaderSize;
    std::uint64_t records = 0;
    ScannedRecord rec;
    for (;;) {
      auto step = scan_record(seg, offset, expected, rec);
      if (!step) return std::unexpected(step.error());
      if (*step == ScanStep::Record) {
        ++records;
        continue;
      }
      if (*step == ScanStep::TornTail) {
        const std::uint64_t size = seg.bytes.size();
        mapped->reset();
        if (auto r = cut_file(file.path, offset); !r) return std::unexpected(r.error());
        out.report.torn_tail = TornTail{file.path, offset, size - offset, false};
      }
      break;
    }
    if (records > 0 && out.report.first_seq == 0) out.report.first_seq = file.first_seq;
    out.report.records += records;
    out.report.segments += 1;
    out.tail = RecoveredTail{file.path, file.first_seq, offset, records};
  }
  out.next_seq = expected;
  out.report.last_seq = out.report.records > 0 ? expected - 1 : 0;
  return out;
}

}  // namespace cx::journal
