#include "core/decimal.hpp"

#include <cassert>
#include <cstddef>
#include <limits>

namespace cx {
namespace {

// -Wpedantic rejects a bare __int128; __extension__ marks the use as deliberate.
__extension__ using i128 = __int128;

constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t kMaxPositiveMagnitude = static_cast<std::uint64_t>(kI64Max);
constexpr std::uint64_t kMaxNegativeMagnitude = kMaxPositiveMagnitude + 1;  // |INT64_MIN|

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// |v| without the undefined negation of INT64_MIN.
constexpr std::uint64_t magnitude(std::int64_t v) noexcept {
  return v < 0 ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v);
}

// The input as it should appear in an error message: quoted, control bytes escaped,
// cut after a few dozen characters so a hostile request cannot inflate the reply.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  const std::size_t shown = text.size() < kMaxShown ? text.size() : kMaxShown;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\') {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    } else {
      out += static_cast<char>(b);
    }
  }
  if (shown < text.size()) out += "...";
  out += '"';
  return out;
}

std::unexpected<Error> invalid(std::string_view text, std::string_view why) {
  std::string msg = "invalid number ";
  msg += quoted(text);
  msg += ": ";
  msg += why;
  return fail(ErrorCode::InvalidNumber, std::move(msg));
}

std::unexpected<Error> unexpected_char(std::string_view text, std::size_t pos) {
  const char c = text[pos];
  std::string why = "unexpected character ";
  why += quoted(text.substr(pos, 1));
  why += " at position " + std::to_string(pos);
  if (c == 'e' || c == 'E') why += " (exponents are not supported)";
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') why += " (whitespace is not allowed)";
  return invalid(text, why);
}

// Writes `units` at `scale` with exactly `frac_digits` (<= scale) fractional digits; the
// digits dropped must be zeros (the caller guarantees it via decimals_used).
std::string format_impl(std::int64_t units, int scale, int frac_digits) {
  assert(scale >= 0 && "scale must not be negative");
  if (scale < 0) scale = 0;
  if (frac_digits > scale) frac_digits = scale;
  if (frac_digits < 0) frac_digits = 0;

  // Digits of |units|, least significant first, padded so at least one integer digit remains.
  char digits[20];  // UINT64_MAX has 20 digits
  std::size_t n = 0;
  std::uint64_t m = magnitude(units);
  do {
    digits[n++] = static_cast<char>('0' + m % 10);
    m /= 10;
  } while (m != 0);
  const auto uscale = static_cast<std::size_t>(scale);
  std::string out;
  out.reserve(24 + uscale);
  if (units < 0) out += '-';
  // Positions uscale .. max(n, uscale+1)-1 are the integer part; below uscale the fraction.
  const std::size_t total = n > uscale ? n : uscale + 1;
  auto digit_at = [&](std::size_t pos) { return pos < n ? digits[pos] : '0'; };
  for (std::size_t pos = total; pos-- > uscale;) out += digit_at(pos);
  if (frac_digits > 0) {
    out += '.';
    const std::size_t last = uscale - static_cast<std::size_t>(frac_digits);
    for (std::size_t pos = uscale; pos-- > last;) out += digit_at(pos);
  }
  return out;
}

}  // namespace

// Grammar: ['-'] digit+ ['.' digit+]. Checks run in a fixed order so that an input breaking
// several rules always gets the same error: syntax, sign, precision, range, positivity.
Result<std::int64_t> parse_decimal(std::string_view text, int scale, Sign sign) {
  if (scale < 0 || scale > kMaxScale) {
    return fail(ErrorCode::InvalidArgument,
                "scale " + std::to_string(scale) + " is outside 0.." + std::to_string(kMaxScale));
  }
  if (text.empty()) return fail(ErrorCode::EmptyValue, "empty value where a number is required");

  // Syntax.
  const bool negative = text.front() == '-';
  const std::size_t int_begin = negative ? 1 : 0;
  std::size_t i = int_begin;
  while (i < text.size() && is_digit(text[i])) ++i;
  const std::size_t int_end = i;
  std::size_t frac_begin = int_end;
  std::size_t frac_end = int_end;
  if (i < text.size() && text[i] == '.') {
    frac_begin = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    frac_end = i;
  }
  if (int_end == int_begin) {
    if (text.size() == int_begin) return invalid(text, "a sign without digits");
    if (text[int_begin] == '.') return invalid(text, "a digit is required before '.'");
    if (text[int_begin] == '+') return invalid(text, "a leading '+' is not allowed");
    return unexpected_char(text, int_begin);
  }
  if (i < text.size()) {
    if (text[i] == '.') return invalid(text, "more than one '.'");
    return unexpected_char(text, i);
  }
  if (frac_begin != int_end && frac_end == frac_begin) {
    return invalid(text, "a digit is required after '.'");
  }

  // Sign. "-0" counts as negative: a client sending a sign where none is allowed is told so.
  if (negative && sign != Sign::Any) {
    return fail(ErrorCode::NegativeNotAllowed, "negative value " + quoted(text) + " not allowed");
  }

  // Precision: fractional digits beyond the scale are accepted only when they are zeros.
  const auto uscale = static_cast<std::size_t>(scale);
  const std::size_t frac_len = frac_end - frac_begin;
  for (std::size_t k = uscale; k < frac_len; ++k) {
    if (text[frac_begin + k] != '0') {
      return fail(ErrorCode::TooManyDecimals, "value " + quoted(text) + " has more than " +
                                                  std::to_string(scale) + " decimal places");
    }
  }

  // Range: accumulate |value| in units, padding the fraction with zeros up to the scale.
  const std::uint64_t limit = negative ? kMaxNegativeMagnitude : kMaxPositiveMagnitude;
  std::uint64_t mag = 0;
  auto push = [&](char c) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (mag > (limit - d) / 10) return false;
    mag = mag * 10 + d;
    return true;
  };
  bool fits = true;
  for (std::size_t k = int_begin; fits && k < int_end; ++k) fits = push(text[k]);
  for (std::size_t k = 0; fits && k < uscale; ++k) {
    fits = push(k < frac_len ? text[frac_begin + k] : '0');
  }
  if (!fits) {
    return fail(ErrorCode::Overflow,
                "value " + quoted(text) + " is out of range at scale " + std::to_string(scale));
  }

  if (mag == 0 && sign == Sign::PositiveOnly) {
    return fail(ErrorCode::InvalidArgument, "value " + quoted(text) + " must be positive");
  }
  if (!negative) return static_cast<std::int64_t>(mag);
  return mag == kMaxNegativeMagnitude ? kI64Min : -static_cast<std::int64_t>(mag);
}

// format_decimal, format_decimal_trimmed and decimals_used expect 0 <= scale; the parser's
// limit of kMaxScale does not apply (a larger scale just pads with zeros). A negative scale
// asserts in debug builds and is treated as 0 otherwise.
std::string format_decimal(std::int64_t units, int scale) {
  return format_impl(units, scale, scale);
}

std::string format_decimal_trimmed(std::int64_t units, int scale) {
  return format_impl(units, scale, decimals_used(units, scale));
}

int decimals_used(std::int64_t units, int scale) noexcept {
  assert(scale >= 0 && "scale must not be negative");
  if (scale <= 0 || units == 0) return 0;
  std::uint64_t m = magnitude(units);
  int used = scale;
  while (used > 0 && m % 10 == 0) {
    m /= 10;
    --used;
  }
  return used;
}

// |a * b| <= 2^126, so the product and the quotient never overflow i128; only the final
// narrowing to int64 can.
bool mul_div_trunc(std::int64_t a, std::int64_t b, std::int64_t d, std::int64_t& out) noexcept {
  if (d == 0) return false;
  const i128 q = static_cast<i128>(a) * b / d;  // C++ division truncates toward zero
  if (q < kI64Min || q > kI64Max) return false;
  out = static_cast<std::int64_t>(q);
  return true;
}

// Rounds toward +infinity (the ceiling), not away from zero: 5/2 -> 3, but -5/2 -> -2.
// For the positive amounts fees are charged on, that is "round up in the exchange's favour".
bool mul_div_ceil(std::int64_t a, std::int64_t b, std::int64_t d, std::int64_t& out) noexcept {
  if (d == 0) return false;
  const i128 p = static_cast<i128>(a) * b;
  i128 q = p / d;
  // Truncation moved a positive quotient down; step back up. A negative one already moved up.
  if (p % d != 0 && ((p > 0) == (d > 0))) ++q;
  if (q < kI64Min || q > kI64Max) return false;
  out = static_cast<std::int64_t>(q);
  return true;
}

}  // namespace cx
