#pragma once
/// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and leveldb.
/// Uses the SSE4.2 crc32 instruction when the CPU has it, a table-driven loop otherwise; both give
/// the same value. Pure functions: thread-safe, no allocation.

#include <cstddef>
#include <cstdint>
#include <span>

namespace cx::journal {

/// The CRC-32C of `prefix ++ data`, given `crc` = the CRC-32C of `prefix` (0 for none).
std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> data) noexcept;

/// The CRC-32C of `data`. crc32c("123456789") == 0xE3069283.
inline std::uint32_t crc32c(std::span<const std::byte> data) noexcept {
  return crc32c_extend(0, data);
}

namespace detail {
/// The table-driven implementation, whatever the CPU; exposed so tests can compare the two.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, std::span<const std::byte> data) noexcept;
}  // namespace detail

}  // namespace cx::journal
