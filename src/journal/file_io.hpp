#pragma once
/// Thin POSIX file helpers for the journal: an owning file descriptor, a read-only mapping, and
/// write / sync calls that turn errno into a cx::Error naming the file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "core/error.hpp"

namespace cx::journal {

/// Owns a file descriptor; closes it on destruction. Move-only.
class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept;
  void reset() noexcept;

 private:
  int fd_ = -1;
};

/// A whole file mapped read-only (an empty file maps to an empty span). Move-only.
class MappedFile {
 public:
  MappedFile() noexcept = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() { reset(); }

  /// Maps `path`, pre-faulting the pages (the journal reads every byte).
  static Result<MappedFile> open(const std::filesystem::path& path);

  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  void reset() noexcept;

 private:
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// An IoError "<what> <path>: <strerror(err)>".
Error io_error(std::string_view what, const std::filesystem::path& path, int err);

/// Opens `path` with open(2) flags; O_CLOEXEC is added.
Result<Fd> open_file(const std::filesystem::path& path, int flags, unsigned mode = 0644);

/// Writes all of `bytes` at `offset` (pwrite, retried on short writes and EINTR).
Result<void> write_all(const Fd& fd, std::span<const std::byte> bytes, std::uint64_t offset,
                       const std::filesystem::path& path);

/// fdatasync(2): makes the file's data (and its size) durable.
Result<void> sync_data(const Fd& fd, const std::filesystem::path& path);

/// fsync(2) on a directory: makes created, removed and renamed entries durable.
Result<void> sync_dir(const std::filesystem::path& dir);

}  // namespace cx::journal
