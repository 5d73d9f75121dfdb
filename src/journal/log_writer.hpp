#pragma once
/// The command log's writer: appends opaque records to segment files in a journal directory,
/// with group commit. docs/journal.md has the format and the recovery rules.
///
/// Usage (engine thread):
///   auto w = LogWriter::open(dir);            // recovers the directory first
///   w->append(seq, bytes); ... (a batch)      // memory only
///   w->commit();                              // one write + fdatasync; then acknowledge the batch
///
/// Threading: one LogWriter per directory (enforced with flock on "<dir>/LOCK"); its members are
/// called from one thread at a time. Readers (LogReader) may run in other threads or processes.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "journal/file_io.hpp"
#include "journal/recovery.hpp"

namespace cx::journal {

struct WriterOptions {
  /// A segment is closed, and the next record starts a new one, once a record would take the
  /// segment past this many bytes. A segment always holds at least one record, so a record
  /// bigger than the limit gets a segment of its own.
  std::uint64_t segment_bytes = std::uint64_t{64} << 20;
  /// Largest payload append() accepts; at most format::kMaxPayload (16 MiB - 1).
  std::size_t max_record_bytes = std::size_t{1} << 20;
};

class LogWriter {
 public:
  /// Opens (creating it if missing) the journal directory `dir`, takes its lock, and recovers
  /// it: a torn tail is cut off (see recovery()); corruption fails with Corrupt and the directory
  /// is left as it was. Appending continues after the last good record.
  static Result<LogWriter> open(const std::filesystem::path& dir,
                                const WriterOptions& options = {});

  LogWriter(LogWriter&&) noexcept;
  LogWriter& operator=(LogWriter&&) noexcept;
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  /// Closes the files. Records appended since the last commit() are dropped, not written.
  ~LogWriter();

  /// Adds a record to the pending batch: memory only, no syscall; allocates only while the batch
  /// buffer grows to its working size. `seq` must be last_seq() + 1 (any seq >= 1 when the log
  /// is empty); fails with InvalidArgument, adding nothing, on a wrong seq or a payload larger
  /// than max_record_bytes. The bytes are copied; the record is durable only after commit().
  [[nodiscard]] Result<void> append(SeqNo seq, std::span<const std::byte> payload);

  /// Writes the pending batch with one pwrite and makes it durable with fdatasync (a batch that
  /// crosses the segment limit takes one write + sync per segment, and the new segment's
  /// directory entry is fsynced). When it returns success every appended record is durable and
  /// may be acknowledged. On failure nothing of the batch may be acknowledged and the writer is
  /// broken: every later call fails with IoError; reopen the directory to recover. No-op when
  /// nothing is pending.
  [[nodiscard]] Result<void> commit();

  /// Deletes the segment files all of whose records have seq < `seq` (call it once a snapshot
  /// covering everything before `seq` is durable). Never deletes the segment being appended to.
  /// Returns how many files were deleted.
  [[nodiscard]] Result<std::size_t> remove_segments_before(SeqNo seq);

  /// What recovery found when the writer was opened.
  const RecoveryReport& recovery() const noexcept { return recovery_; }
  /// Seq of the last appended record, pending ones included; 0 if the log is empty.
  SeqNo last_seq() const noexcept { return next_seq_ == 0 ? 0 : next_seq_ - 1; }
  /// Seq of the last durable record; 0 if none.
  SeqNo durable_seq() const noexcept { return durable_seq_; }
  /// Records appended since the last commit.
  std::size_t pending_records() const noexcept { return pending_records_; }
  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  LogWriter() = default;

  // A point in the batch buffer where a new segment starts.
  struct Cut {
    std::size_t offset;
    SeqNo first_seq;
  };

  void reserve(std::size_t bytes);
  Result<void> write_batch();
  Result<void> write_to_tail(std::span<const std::byte> bytes);
  Result<void> start_segment(SeqNo first_seq);
  std::unexpected<Error> broken() const;

  std::filesystem::path dir_;
  WriterOptions options_;
  RecoveryReport recovery_;
  Fd lock_;

  // The segment being appended to (tail_ invalid: none yet).
  Fd tail_;
  std::filesystem::path tail_path_;
  std::uint64_t tail_size_ = 0;  // bytes on disk

  // The pending batch.
  std::unique_ptr<std::byte[]> buf_;
  std::size_t buf_capacity_ = 0;
  std::size_t buf_size_ = 0;
  std::vector<Cut> cuts_;
  std::size_t pending_records_ = 0;
  std::uint64_t logical_tail_size_ = 0;  // tail segment size once the batch is written
  std::uint64_t logical_tail_records_ = 0;

  SeqNo next_seq_ = 0;  // 0: the log is empty, any first seq is accepted
  SeqNo durable_seq_ = 0;
  bool broken_ = false;
};

}  // namespace cx::journal
