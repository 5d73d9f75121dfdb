// RFC 5322 messages: headers, dates, RFC 2047 encoded words.

#include "auth/mail_message.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "auth/crypto.hpp"

namespace cx::auth::mail {

namespace {

std::string base64_std(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool is_ascii_printable(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

/// Length of the UTF-8 sequence starting with `lead` (1 for stray bytes).
std::size_t utf8_len(unsigned char lead) noexcept {
  if (lead >= 0xF0 && lead < 0xF8) return 4;
  if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

bool has_line_break(std::string_view s) noexcept {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

std::optional<std::string> address_of(std::string_view mailbox) {
  if (has_line_break(mailbox)) return std::nullopt;
  std::string_view addr = mailbox;
  const std::size_t lt = mailbox.find('<');
  if (lt != std::string_view::npos) {
    const std::size_t gt = mailbox.find('>', lt);
    if (gt == std::string_view::npos || gt + 1 != mailbox.size()) return std::nullopt;
    addr = mailbox.substr(lt + 1, gt - lt - 1);
  }
  while (!addr.empty() && addr.front() == ' ') addr.remove_prefix(1);
  while (!addr.empty() && addr.back() == ' ') addr.remove_suffix(1);
  const std::size_t at = addr.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == addr.size()) return std::nullopt;
  if (addr.find_first_of("<>, \t\"") != std::string_view::npos || !is_ascii_printable(addr))
    return std::nullopt;
  return std::string(addr);
}

std::string rfc5322_date(Timestamp ms) {
  using namespace std::chrono;
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const sys_time<milliseconds> t{milliseconds{ms}};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const weekday wd{day};
  const hh_mm_ss hms{floor<seconds>(t - day)};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000", kDays[wd.c_encoding()],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string encode_header_text(std::string_view text) {
  if (is_ascii_printable(text)) return std::string(text);
  // Words of at most 45 bytes (60 base64 characters, 72 with the =?UTF-8?B? ?= frame), never
  // splitting a UTF-8 sequence.
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i;
    while (end < text.size()) {
      const std::size_t n = utf8_len(static_cast<unsigned char>(text[end]));
      if (end + n - i > 45) break;
      end = std::min(end + n, text.size());
    }
    if (end == i) end = std::min(i + 45, text.size());
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_std(text.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

Result<std::string> render(std::string_view from, std::string_view to, std::string_view subject,
                           std::string_view body, Timestamp date_ms, std::string_view message_id) {
  if (has_line_break(from) || has_line_break(to) || has_line_break(subject) ||
      has_line_break(message_id))
    return fail(ErrorCode::InvalidArgument, "mail header values may not contain CR or LF");
  if (!address_of(from)) return fail(ErrorCode::InvalidArgument, "bad sender mailbox");
  if (!address_of(to)) return fail(ErrorCode::InvalidArgument, "bad recipient mailbox");
  std::string m;
  m.reserve(body.size() + 512);
  m += "Date: " + rfc5322_date(date_ms) + "\r\n";
  m += "From: " + std::string(from) + "\r\n";
  m += "To: " + std::string(to) + "\r\n";
  m += "Subject: " + encode_header_text(subject) + "\r\n";
  m += "Message-ID: " + std::string(message_id) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\n";
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r') {
      m += "\r\n";
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      m += "\r\n";
    } else {
      m += c;
    }
  }
  if (m.size() < 2 || m.compare(m.size() - 2, 2, "\r\n") != 0) m += "\r\n";
  return m;
}

std::string make_message_id(std::string_view from_address) {
  const std::size_t at = from_address.rfind('@');
  const std::string_view domain =
      at == std::string_view::npos ? std::string_view("localhost") : from_address.substr(at + 1);
  return "<" + random_token(18) + "@" + std::string(domain) + ">";
}

}  // namespace cx::auth::mail
