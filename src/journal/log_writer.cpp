#include "journal/log_writer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "journal/crc32c.hpp"
#include "journal/format.hpp"
#include "journal/segment.hpp"

namespace cx::journal {
namespace {

using format::kRecordHeaderSize;
using format::kSegmentHeaderSize;

Result<Fd> lock_directory(const std::filesystem::path& dir) {
  const auto path = dir / "LOCK";
  auto fd = open_file(path, O_RDWR | O_CREAT);
  if (!fd) return fd;
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(ErrorCode::IoError, "journal " + dir.string() + " is locked by another writer");
    }
    return std::unexpected(io_error("cannot lock", path, errno));
  }
  return fd;
}

}  // namespace

LogWriter::LogWriter(LogWriter&&) noexcept = default;
LogWriter& LogWriter::operator=(LogWriter&&) noexcept = default;
LogWriter::~LogWriter() = default;

Result<LogWriter> LogWriter::open(const std::filesystem::path& dir, const WriterOptions& options) {
  if (options.segment_bytes < kSegmentHeaderSize + kRecordHeaderSize) {
    return fail(ErrorCode::InvalidArgument, "journal segment_bytes must be at least 32");
  }
  if (options.max_record_bytes > format::kMaxPayload) {
    return fail(ErrorCode::InvalidArgument,
                "journal max_record_bytes must be at most " + std::to_string(format::kMaxPayload));
  }
  std::error_code ec;
  const bool created = std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected(io_error("cannot create", dir, ec.value()));
  if (created) {  // make the new directory's entry durable
    const auto parent = (std::filesystem::absolute(dir) / "..").lexically_normal();
    if (auto r = sync_dir(parent); !r) return std::unexpected(r.error());
  }

  LogWriter w;
  w.dir_ = dir;
  w.options_ = options;
  auto lock = lock_directory(dir);
  if (!lock) return std::unexpected(lock.error());
  w.lock_ = std::move(*lock);

  auto recovered = recover_directory(dir);
  if (!recovered) return std::unexpected(recovered.error());
  w.recovery_ = recovered->report;
  w.next_seq_ = recovered->next_seq;
  w.durable_seq_ = recovered->report.last_seq;
  if (recovered->tail) {
    auto fd = open_file(recovered->tail->path, O_WRONLY);
    if (!fd) return std::unexpected(fd.error());
    w.tail_ = std::move(*fd);
    w.tail_path_ = recovered->tail->path;
    w.tail_size_ = recovered->tail->size;
    w.logical_tail_size_ = w.tail_size_;
    w.logical_tail_records_ = recovered->tail->records;
  }
  w.cuts_.reserve(4);
  w.reserve(std::size_t{64} << 10);
  return w;
}

void LogWriter::reserve(std::size_t bytes) {
  if (bytes <= buf_capacity_) return;
  const std::size_t capacity = std::max(bytes, buf_capacity_ * 2);
  auto bigger = std::make_unique_for_overwrite<std::byte[]>(capacity);
  if (buf_size_ > 0) std::memcpy(bigger.get(), buf_.get(), buf_size_);
  buf_ = std::move(bigger);
  buf_capacity_ = capacity;
}

std::unexpected<Error> LogWriter::broken() const {
  return fail(ErrorCode::IoError,
              "journal writer for " + dir_.string() + " failed earlier; reopen it to recover");
}

Result<void> LogWriter::append(SeqNo seq, std::span<const std::byte> payload) {
  if (broken_) [[unlikely]]
    return broken();
  if (seq != next_seq_ || seq == 0) [[unlikely]] {
    if (seq == 0 || next_seq_ != 0) {
      return fail(ErrorCode::InvalidArgument,
                  "journal append: seq " + std::to_string(seq) + " out of order, expected " +
                      (next_seq_ == 0 ? std::string("any seq >= 1") : std::to_string(next_seq_)));
    }
  }
  if (payload.size() > options_.max_record_bytes) [[unlikely]] {
    return fail(ErrorCode::InvalidArgument,
                "journal append: record of " + std::to_string(payload.size()) +
                    " bytes exceeds max_record_bytes " + std::to_string(options_.max_record_bytes));
  }
  const std::size_t size = kRecordHeaderSize + payload.size();
  if (!tail_.valid() && cuts_.empty()) [[unlikely]] {
    cuts_.push_back(Cut{buf_size_, seq});  // the log's first segment
    logical_tail_size_ = kSegmentHeaderSize;
    logical_tail_records_ = 0;
  } else if (logical_tail_records_ > 0 && logical_tail_size_ + size > options_.segment_bytes) {
    cuts_.push_back(Cut{buf_size_, seq});
    logical_tail_size_ = kSegmentHeaderSize;
    logical_tail_records_ = 0;
  }
  reserve(buf_size_ + size);

  std::byte* p = buf_.get() + buf_size_;
  const auto length_flags =
      static_cast<std::uint32_t>(payload.size()) | (buf_size_ == 0 ? format::kFlagCommitStart : 0u);
  format::put_u32(p + 4, length_flags);
  format::put_u64(p + 8, seq);
  if (!payload.empty()) std::memcpy(p + kRecordHeaderSize, payload.data(), payload.size());
  format::put_u32(p, crc32c({p + 4, size - 4}));

  buf_size_ += size;
  logical_tail_size_ += size;
  ++logical_tail_records_;
  ++pending_records_;
  next_seq_ = seq + 1;
  return {};
}

Result<void> LogWriter::commit() {
  if (broken_) [[unlikely]]
    return broken();
  if (buf_size_ == 0) return {};
  auto written = write_batch();
  buf_size_ = 0;
  cuts_.clear();
  pending_records_ = 0;
  if (!written) [[unlikely]] {
    // The file may now hold part of the batch, and after a failed fsync the kernel may have
    // dropped dirty pages: nothing about the tail can be trusted until recovery reads it back.
    broken_ = true;
    tail_.reset();
    return written;
  }
  durable_seq_ = next_seq_ - 1;
  return {};
}

Result<void> LogWriter::write_batch() {
  std::size_t pos = 0;
  for (const Cut& cut : cuts_) {
    if (cut.offset > pos) {
      if (auto r = write_to_tail({buf_.get() + pos, cut.offset - pos}); !r) return r;
      if (auto r = sync_data(tail_, tail_path_); !r) return r;
    }
    if (auto r = start_segment(cut.first_seq); !r) return r;
    pos = cut.offset;
  }
  if (auto r = write_to_tail({buf_.get() + pos, buf_size_ - pos}); !r) return r;
  return sync_data(tail_, tail_path_);
}

Result<void> LogWriter::write_to_tail(std::span<const std::byte> bytes) {
  if (auto r = write_all(tail_, bytes, tail_size_, tail_path_); !r) return r;
  tail_size_ += bytes.size();
  return {};
}

Result<void> LogWriter::start_segment(SeqNo first_seq) {
  const auto path = dir_ / segment_file_name(first_seq);
  auto fd = open_file(path, O_WRONLY | O_CREAT | O_EXCL);
  if (!fd) return std::unexpected(fd.error());
  tail_ = std::move(*fd);
  tail_path_ = path;
  tail_size_ = 0;
  const auto header = encode_segment_header(first_seq);
  if (auto r = write_to_tail(header); !r) return r;
  // The entry must be durable before any record in the file is acknowledged; the header
  // itself is synced with the records.
  return sync_dir(dir_);
}

Result<std::size_t> LogWriter::remove_segments_before(SeqNo seq) {
  if (broken_) return broken();
  auto segments = list_segments(dir_);
  if (!segments) return std::unexpected(segments.error());
  std::size_t removed = 0;
  // Segment i holds seqs [first_i, first_{i+1}); it can go when first_{i+1} <= seq. The last
  // segment, the one being appended to, never goes.
  for (std::size_t i = 0; i + 1 < segments->size(); ++i) {
    if ((*segments)[i + 1].first_seq > seq) break;
    if (::unlink((*segments)[i].path.c_str()) != 0) {
      return std::unexpected(io_error("cannot remove", (*segments)[i].path, errno));
    }
    ++removed;
  }
  if (removed > 0) {
    if (auto r = sync_dir(dir_); !r) return std::unexpected(r.error());
  }
  return removed;
}

}  // namespace cx::journal
