#pragma once
/// The on-disk layout of journal segments and records; docs/journal.md describes it byte by byte.
/// Little-endian throughout. Changing anything here means bumping kFormatVersion.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cx::journal::format {

static_assert(std::endian::native == std::endian::little,
              "the journal assumes a little-endian host");

// Segment header: magic[4] "CXJL" | version u32 | first_seq u64.
inline constexpr std::array<std::byte, 4> kMagic = {std::byte{'C'}, std::byte{'X'}, std::byte{'J'},
                                                    std::byte{'L'}};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kSegmentHeaderSize = 16;

// Record header: crc32c u32 | length_flags u32 | seq u64, then `length` payload bytes.
// The checksum covers bytes [4, 16 + length): length_flags, seq and the payload.
inline constexpr std::size_t kRecordHeaderSize = 16;
inline constexpr std::uint32_t kLengthMask = 0x00FF'FFFFu;       ///< low 24 bits: payload length
inline constexpr std::uint32_t kFlagCommitStart = 0x0100'0000u;  ///< first record of a commit
inline constexpr std::uint32_t kKnownFlags = kFlagCommitStart;
inline constexpr std::size_t kMaxPayload = kLengthMask;  ///< 16 MiB - 1

inline void put_u32(std::byte* p, std::uint32_t v) noexcept {
  std::memcpy(p, &v, 4);
}
inline void put_u64(std::byte* p, std::uint64_t v) noexcept {
  std::memcpy(p, &v, 8);
}

inline std::uint32_t get_u32(const std::byte* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline std::uint64_t get_u64(const std::byte* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace cx::journal::format
