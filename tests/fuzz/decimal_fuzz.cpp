// libFuzzer target for parse_decimal, format_decimal{,_trimmed} and mul_div_{trunc,ceil}.
// Not wired into CMake. Build and run from the repository root:
//
//   clang++ -std=c++2b -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
//       tests/fuzz/decimal_fuzz.cpp src/core/decimal.cpp src/core/error.cpp -o /tmp/decimal_fuzz
//   /tmp/decimal_fuzz -max_total_time=60
//
// That needs clang >= 16: older clang cannot compile libstdc++ 12's std::expected<T, Error>
// (no conditionally trivial destructors, P0848). Without it, the same checks run under g++
// with a small random-input driver (or over corpus files given as arguments):
//
//   g++ -std=c++23 -g -O1 -fsanitize=address,undefined -DCX_FUZZ_STANDALONE -Isrc
//       tests/fuzz/decimal_fuzz.cpp src/core/decimal.cpp src/core/error.cpp -o /tmp/decimal_fuzz
//   /tmp/decimal_fuzz [iterations] [seed]   or   /tmp/decimal_fuzz corpus_file...
//
// Input layout: byte 0 picks the scale (0..19, so 19 exercises the out-of-range path), byte 1
// the Sign, the rest is the text. Each parse result is checked against a reference written
// with string operations only. The first 24 bytes, read as three int64, also drive mul_div,
// checked against exact 128-bit floor/ceiling.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"

namespace {

__extension__ using i128 = __int128;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// What parse_decimal must return, derived from the text alone.
struct Expected {
  bool ok = false;
  cx::ErrorCode code = cx::ErrorCode::InvalidNumber;
  std::string formatted;  // format_decimal of the value when ok
};

Expected reference(std::string_view text, int scale, cx::Sign sign) {
  Expected e;
  if (scale < 0 || scale > cx::kMaxScale) return e.code = cx::ErrorCode::InvalidArgument, e;
  if (text.empty()) return e.code = cx::ErrorCode::EmptyValue, e;
  const bool neg = text.front() == '-';
  std::string_view body = text.substr(neg ? 1 : 0);
  std::string_view int_part = body;
  std::string_view frac_part;
  if (const auto dot = body.find('.'); dot != std::string_view::npos) {
    int_part = body.substr(0, dot);
    frac_part = body.substr(dot + 1);
    if (!all_digits(frac_part)) return e;  // also catches a second '.'
  }
  if (!all_digits(int_part)) return e;
  if (neg && sign != cx::Sign::Any) return e.code = cx::ErrorCode::NegativeNotAllowed, e;
  const auto uscale = static_cast<std::size_t>(scale);
  for (std::size_t k = uscale; k < frac_part.size(); ++k) {
    if (frac_part[k] != '0') return e.code = cx::ErrorCode::TooManyDecimals, e;
  }
  std::string frac(frac_part.substr(0, uscale < frac_part.size() ? uscale : frac_part.size()));
  frac.resize(uscale, '0');
  // All digits of the unit count, without leading zeros.
  std::string units = std::string(int_part) + frac;
  units.erase(0, units.find_first_not_of('0'));
  const std::string_view limit = neg ? "9223372036854775808" : "9223372036854775807";
  if (units.size() > limit.size() || (units.size() == limit.size() && units > limit)) {
    return e.code = cx::ErrorCode::Overflow, e;
  }
  if (units.empty() && sign == cx::Sign::PositiveOnly) {
    return e.code = cx::ErrorCode::InvalidArgument, e;
  }
  std::string ip(int_part);
  ip.erase(0, ip.find_first_not_of('0'));
  if (ip.empty()) ip = "0";
  e.ok = true;
  e.formatted = (neg && !units.empty() ? "-" : "") + ip + (scale > 0 ? "." + frac : "");
  return e;
}

void check_mul_div(std::int64_t a, std::int64_t b, std::int64_t d) {
  std::int64_t t = 0;
  std::int64_t c = 0;
  const bool t_ok = cx::mul_div_trunc(a, b, d, t);
  const bool c_ok = cx::mul_div_ceil(a, b, d, c);
  if (d == 0) return check(!t_ok && !c_ok);
  const i128 p = static_cast<i128>(a) * b;
  i128 fl = p / d;
  if (p % d != 0 && ((p < 0) != (d < 0))) --fl;
  const i128 ce = p % d == 0 ? fl : fl + 1;
  const i128 tr = (p < 0) != (d < 0) ? ce : fl;
  auto fits = [](i128 v) { return v >= INT64_MIN && v <= INT64_MAX; };
  check(t_ok == fits(tr) && c_ok == fits(ce));
  if (t_ok) check(t == tr);
  if (c_ok) check(c == ce);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size >= 24) {
    std::int64_t v[3];
    std::memcpy(v, data, sizeof v);
    check_mul_div(v[0], v[1], v[2]);
  }
  if (size < 2) return 0;
  const int scale = data[0] % (cx::kMaxScale + 2);
  const auto sign = static_cast<cx::Sign>(data[1] % 3);
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

  const auto got = cx::parse_decimal(text, scale, sign);
  const Expected want = reference(text, scale, sign);
  check(got.has_value() == want.ok);
  if (!got) {
    check(got.error().code == want.code);
    check(!got.error().message.empty() && got.error().message.size() < 256);
    return 0;
  }
  const std::int64_t v = *got;
  check(cx::format_decimal(v, scale) == want.formatted);
  check(sign == cx::Sign::Any || v >= 0);
  check(sign != cx::Sign::PositiveOnly || v > 0);
  const auto again = cx::parse_decimal(cx::format_decimal(v, scale), scale);
  const auto trimmed = cx::parse_decimal(cx::format_decimal_trimmed(v, scale), scale);
  check(again.has_value() && *again == v && trimmed.has_value() && *trimmed == v);
  return 0;
}

#ifdef CX_FUZZ_STANDALONE
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>

// Random inputs shaped like numbers (digits, '.', '-', and a few bytes that must be rejected),
// plus unconstrained mul_div operands. Prints its seed; pass it back to replay.
int main(int argc, char** argv) {
  const bool files = argc > 1 && !all_digits(argv[1]);
  if (files) {
    for (int i = 1; i < argc; ++i) {
      std::ifstream in(argv[i], std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::cout << "ran " << (argc - 1) << " files\n";
    return 0;
  }
  const long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1'000'000;
  const std::uint64_t seed =
      argc > 2 ? std::strtoull(argv[2], nullptr, 10) : std::random_device{}();
  std::cout << "seed " << seed << "\n";
  std::mt19937_64 rng(seed);
  constexpr std::string_view kAlphabet = "0123456789000999..--+e \x00\xff";
  std::vector<std::uint8_t> buf;
  for (long n = 0; n < iterations; ++n) {
    buf.clear();
    buf.push_back(static_cast<std::uint8_t>(rng()));
    buf.push_back(static_cast<std::uint8_t>(rng()));
    const auto len = rng() % 42;
    for (std::uint64_t k = 0; k < len; ++k) {
      // Mostly digits, so long inputs reach the overflow boundary.
      const auto pick = rng() % 16 < 13 ? rng() % 10 : rng() % kAlphabet.size();
      buf.push_back(static_cast<std::uint8_t>(kAlphabet[pick]));
    }
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
    const auto shift = [&] { return rng() % 64; };
    check_mul_div(static_cast<std::int64_t>(rng() >> shift()),
                  static_cast<std::int64_t>(rng() >> shift()) * (rng() & 1 ? -1 : 1),
                  static_cast<std::int64_t>(rng() >> shift()) * (rng() & 1 ? -1 : 1));
  }
  std::cout << "ran " << iterations << " inputs\n";
  return 0;
}
#endif
