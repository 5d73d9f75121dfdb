#include "journal/crc32c.hpp"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace cx::journal {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the journal assumes a little-endian host");

constexpr std::uint32_t kPolynomial = 0x82F63B78u;

// Slicing-by-8 tables: kTables[k][b] is the CRC of byte b followed by k zero bytes.
using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c & 1u) != 0 ? (c >> 1) ^ kPolynomial : c >> 1;
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  }
  return t;
}

constexpr Tables kTables = make_tables();

std::uint32_t extend_portable(std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    v ^= crc;
    crc = kTables[7][v & 0xFFu] ^ kTables[6][(v >> 8) & 0xFFu] ^ kTables[5][(v >> 16) & 0xFFu] ^
          kTables[4][(v >> 24) & 0xFFu] ^ kTables[3][(v >> 32) & 0xFFu] ^
          kTables[2][(v >> 40) & 0xFFu] ^ kTables[1][(v >> 48) & 0xFFu] ^ kTables[0][v >> 56];
  }
  for (; n > 0; --n, ++p) crc = (crc >> 8) ^ kTables[0][(crc ^ *p) & 0xFFu];
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t crc,
                                                             const unsigned char* p,
                                                             std::size_t n) noexcept {
  std::uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}

#endif

#if defined(__x86_64__) && !defined(__SSE4_2__)
bool cpu_has_sse42() noexcept {
  static const bool has = __builtin_cpu_supports("sse4.2") != 0;
  return has;
}
#endif

}  // namespace

std::uint32_t crc32c_extend(std::uint32_t crc, std::span<const std::byte> data) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::uint32_t c = ~crc;
#if defined(__x86_64__) && defined(__SSE4_2__)
  return ~extend_sse42(c, p, data.size());
#elif defined(__x86_64__)
  return ~(cpu_has_sse42() ? extend_sse42(c, p, data.size()) : extend_portable(c, p, data.size()));
#else
  return ~extend_portable(c, p, data.size());
#endif
}

namespace detail {
std::uint32_t crc32c_extend_portable(std::uint32_t crc, std::span<const std::byte> data) noexcept {
  return ~extend_portable(~crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}
}  // namespace detail

}  // namespace cx::journal
