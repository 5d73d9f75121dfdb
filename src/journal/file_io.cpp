#include "journal/file_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace cx::journal {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int Fd::release() noexcept {
  return std::exchange(fd_, -1);
}

void Fd::reset() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MappedFile::reset() noexcept {
  if (data_ != nullptr) {
    ::munmap(const_cast<std::byte*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
  }
}

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  auto fd = open_file(path, O_RDONLY);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return std::unexpected(io_error("cannot stat", path, errno));
  MappedFile m;
  if (st.st_size == 0) return m;
  const auto size = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd->get(), 0);
  if (p == MAP_FAILED) return std::unexpected(io_error("cannot map", path, errno));
  ::madvise(p, size, MADV_SEQUENTIAL);
  m.data_ = static_cast<const std::byte*>(p);
  m.size_ = size;
  return m;
}

Error io_error(std::string_view what, const std::filesystem::path& path, int err) {
  std::string msg(what);
  msg += ' ';
  msg += path.string();
  msg += ": ";
  msg += std::strerror(err);
  return Error{ErrorCode::IoError, std::move(msg)};
}

Result<Fd> open_file(const std::filesystem::path& path, int flags, unsigned mode) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return std::unexpected(io_error("cannot open", path, errno));
  return Fd(fd);
}

Result<void> write_all(const Fd& fd, std::span<const std::byte> bytes, std::uint64_t offset,
                       const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd.get(), bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(io_error("cannot write", path, errno));
    }
    const auto written = static_cast<std::size_t>(n);
    bytes = bytes.subspan(written);
    offset += written;
  }
  return {};
}

Result<void> sync_data(const Fd& fd, const std::filesystem::path& path) {
  if (::fdatasync(fd.get()) != 0) return std::unexpected(io_error("cannot fdatasync", path, errno));
  return {};
}

Result<void> sync_dir(const std::filesystem::path& dir) {
  auto fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!fd) return std::unexpected(fd.error());
  if (::fsync(fd->get()) != 0)
    return std::unexpected(io_error("cannot fsync directory", dir, errno));
  return {};
}

}  // namespace cx::journal
