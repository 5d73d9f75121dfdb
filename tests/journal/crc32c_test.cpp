#include "journal/crc32c.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

namespace cx::journal {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s));
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(detail::crc32c_extend_portable(0, bytes_of("123456789")), 0xE3069283u);
}

TEST(Crc32c, MatchesTheRfc3720TestVectors) {
  std::vector<std::byte> zeros(32, std::byte{0});
  std::vector<std::byte> ones(32, std::byte{0xFF});
  std::vector<std::byte> ascending(32);
  for (std::size_t i = 0; i < 32; ++i) ascending[i] = static_cast<std::byte>(i);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32c, EmptyInputIsZero) {
  EXPECT_EQ(crc32c({}), 0u);
}

TEST(Crc32c, ExtendingEqualsChecksummingTheWhole) {
  const auto all = bytes_of("the quick brown fox jumps over the lazy dog");
  for (std::size_t split = 0; split <= all.size(); ++split) {
    EXPECT_EQ(crc32c_extend(crc32c(all.first(split)), all.subspan(split)), crc32c(all));
  }
}

TEST(Crc32c, HardwareAndPortablePathsAgree) {
  const auto seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<std::byte> buf(4096 + 8);
  for (auto& b : buf) b = static_cast<std::byte>(rng() & 0xFFu);
  for (int i = 0; i < 2000; ++i) {
    const std::size_t start = rng() % 8;
    const std::size_t len = rng() % 4096;
    const auto data = std::span<const std::byte>(buf).subspan(start, len);
    const auto init = static_cast<std::uint32_t>(rng());
    ASSERT_EQ(crc32c_extend(init, data), detail::crc32c_extend_portable(init, data))
        << "start " << start << " len " << len;
  }
}

}  // namespace
}  // namespace cx::journal
