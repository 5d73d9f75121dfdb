#pragma once
/// Little-endian byte writer and bounds-checked reader for binary formats (journal payloads,
/// snapshots). The reader never reads past its span: a short read sets ok() false and yields
/// zeros, so a decoder checks ok() once at the end.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace cx {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::byte>& out) : out_(out) {}

  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    raw(&v, sizeof(T));
  }
  void u8(std::uint8_t v) { put(v); }
  /// u32 length then the bytes.
  void str(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  void raw(const void* p, std::size_t n) {
    const std::size_t at = out_.size();
    out_.resize(at + n);
    if (n) std::memcpy(out_.data() + at, p, n);
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put(static_cast<std::uint64_t>(v.size()));
    raw(v.data(), v.size() * sizeof(T));
  }
  std::size_t size() const noexcept { return out_.size(); }

 private:
  std::vector<std::byte>& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> in) : in_(in) {}

  // Inlined with a constant size: decoding a journal record is a handful of loads (replay).
  template <class T>
  [[gnu::always_inline]] T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (ok_ && sizeof(T) <= remaining()) [[likely]] {
      std::memcpy(&v, in_.data() + pos_, sizeof(T));
      pos_ += sizeof(T);
    } else {
      ok_ = false;
    }
    return v;
  }
  std::uint8_t u8() { return get<std::uint8_t>(); }
  std::string str(std::size_t max = 1 << 20) {
    const auto n = get<std::uint32_t>();
    if (!ok_ || n > max || n > remaining()) {
      ok_ = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  void raw(void* p, std::size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return;
    }
    if (n) std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  /// Reads a vector written by ByteWriter::vec, refusing more than `max` elements.
  template <class T>
  std::vector<T> vec(std::size_t max) {
    const auto n = get<std::uint64_t>();
    std::vector<T> v;
    if (!ok_ || n > max || n * sizeof(T) > remaining()) {
      ok_ = false;
      return v;
    }
    v.resize(static_cast<std::size_t>(n));
    raw(v.data(), v.size() * sizeof(T));
    return v;
  }
  bool ok() const noexcept { return ok_; }
  void fail() noexcept { ok_ = false; }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }
  std::size_t position() const noexcept { return pos_; }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace cx
