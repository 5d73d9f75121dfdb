#pragma once
/// Sequential reader of a journal directory, for replay after a snapshot. Reads segments through
/// read-only mappings and checks every record's checksum and seq as it goes.
///
/// It reads what recovery would keep: a torn tail ends the log quietly (recovery reports it when
/// the writer is next opened), any other damage is a Corrupt error. It never changes the files
/// and takes no lock, so it may run beside a live writer, in which case it sees the log as it
/// was when each segment was opened. One thread per reader.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "journal/file_io.hpp"
#include "journal/segment.hpp"

namespace cx::journal {

struct Record {
  SeqNo seq = 0;
  std::span<const std::byte> payload;  ///< valid until the next call to next() or destruction
};

class LogReader {
 public:
  /// Opens the journal in `dir` to read the records with seq >= `from_seq`; 0 reads from the
  /// first record kept. Fails with InvalidArgument when the log starts after `from_seq` (the
  /// records asked for were removed), and with IoError when `dir` cannot be listed. A `from_seq`
  /// past the end of the log reads nothing.
  static Result<LogReader> open(const std::filesystem::path& dir, SeqNo from_seq = 0);

  /// The next record: true and `out` filled, or false at the end of the log. Fails with Corrupt
  /// (naming file and offset) on damage, and with IoError when a segment cannot be mapped.
  [[nodiscard]] Result<bool> next(Record& out);

 private:
  LogReader() = default;
  Result<bool> open_segment(std::size_t index);

  std::vector<SegmentFile> segments_;
  std::size_t index_ = 0;  // segment being read
  MappedFile map_;
  std::size_t offset_ = 0;
  SeqNo expected_ = 0;
  SeqNo from_seq_ = 0;
  bool done_ = false;
};

/// Calls `fn(seq, payload)` for each record with seq >= `from_seq` (0: all), in order; `payload`
/// is valid during the call only. Returns how many records were passed to `fn`.
template <class Fn>
Result<std::uint64_t> for_each(const std::filesystem::path& dir, SeqNo from_seq, Fn&& fn) {
  auto reader = LogReader::open(dir, from_seq);
  if (!reader) return std::unexpected(std::move(reader.error()));
  std::uint64_t count = 0;
  Record rec;
  for (;;) {
    auto more = reader->next(rec);
    if (!more) return std::unexpected(std::move(more.error()));
    if (!*more) return count;
    fn(rec.seq, rec.payload);
    ++count;
  }
}

}  // namespace cx::journal
