#include "oracle/json_price.hpp"

#include <boost/json/parse.hpp>
#include <charconv>
#include <ctime>

namespace cx::oracle {

namespace json = boost::json;

Result<std::int64_t> price_of(const json::value& v) {
  if (v.is_string()) {
    auto p = price_from_text(v.as_string());
    if (!p) return fail(p.error().code, "price: " + p.error().message);
    return *p;
  }
  if (v.is_number()) {
    auto p = price_from_double(v.to_number<double>());
    if (!p) return fail(p.error().code, "price: " + p.error().message);
    return *p;
  }
  return fail(ErrorCode::InvalidArgument, "price: expected a number or a decimal string");
}

const json::value* at_path(const json::value& root, std::string_view path) {
  const json::value* cur = &root;
  while (!path.empty()) {
    const auto dot = path.find('.');
    const std::string_view seg = path.substr(0, dot);
    path.remove_prefix(dot == std::string_view::npos ? path.size() : dot + 1);
    if (const json::object* o = cur->if_object()) {
      cur = o->if_contains(seg);
    } else if (const json::array* a = cur->if_array()) {
      std::size_t i = 0;
      auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), i);
      if (seg.empty() || ec != std::errc{} || p != seg.data() + seg.size() || i >= a->size()) {
        return nullptr;
      }
      cur = &(*a)[i];
    } else {
      return nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

Result<std::int64_t> parse_path_price(std::string_view body, std::string_view path) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec) return fail(ErrorCode::Corrupt, "not JSON: " + ec.message());
  const json::value* v = at_path(doc, path);
  if (v == nullptr) {
    std::string msg = "no value at ";
    msg.append(path);
    return fail(ErrorCode::NotFound, std::move(msg));
  }
  return price_of(*v);
}

std::optional<Timestamp> parse_iso8601_ms(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff...]Z
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    if (at + len > s.size()) return false;
    auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + len, out);
    return ec == std::errc{} && p == s.data() + at + len;
  };
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      !num(0, 4, year) || !num(5, 2, month) || !num(8, 2, day) || !num(11, 2, hour) ||
      !num(14, 2, minute) || !num(17, 2, second)) {
    return std::nullopt;
  }
  Timestamp ms = 0;
  std::size_t i = 19;
  if (s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (i + 1 != s.size() || s[i] != 'Z') return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<Timestamp>(t) * 1000 + ms;
}

Result<std::vector<Quote>> parse_cmc_quotes(std::string_view body,
                                            const std::vector<std::string>& symbols,
                                            std::string_view convert, Timestamp now) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return fail(ErrorCode::Corrupt, "not a JSON object");
  if (const json::value* code = at_path(doc, "status.error_code")) {
    if (code->is_number() && code->to_number<double>() != 0) {
      std::string msg = "CoinMarketCap error";
      if (const json::value* m = at_path(doc, "status.error_message"); m && m->is_string()) {
        msg.append(": ").append(m->as_string());
      }
      return fail(ErrorCode::Unavailable, std::move(msg));
    }
  }
  const json::value* data = at_path(doc, "data");
  if (data == nullptr || !data->is_object()) {
    return fail(ErrorCode::Corrupt, "no data object in the answer");
  }
  std::vector<Quote> out;
  for (const std::string& sym : symbols) {
    const json::value* entry = data->as_object().if_contains(sym);
    if (entry == nullptr) continue;
    if (const json::array* a = entry->if_array()) {
      if (a->empty()) continue;
      entry = &a->front();
    }
    std::string qpath = "quote.";
    qpath.append(convert);
    const json::value* quote = at_path(*entry, qpath);
    if (quote == nullptr) continue;
    const json::value* price = at_path(*quote, "price");
    if (price == nullptr || price->is_null()) continue;
    auto p = price_of(*price);
    if (!p) return fail(p.error().code, sym + ": " + p.error().message);
    Timestamp ts = now;
    if (const json::value* lu = at_path(*quote, "last_updated"); lu && lu->is_string()) {
      if (auto t = parse_iso8601_ms(lu->as_string())) ts = std::min(*t, now);
    }
    out.push_back({upper(sym), *p, ts});
  }
  return out;
}

}  // namespace cx::oracle
