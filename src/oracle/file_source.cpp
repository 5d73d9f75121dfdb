#include "oracle/file_source.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "oracle/json_price.hpp"

namespace cx::oracle {

namespace json = boost::json;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

Result<Timestamp> parse_ts(std::string_view s) {
  Timestamp v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v < 0) {
    return fail(ErrorCode::InvalidNumber,
                "ts: expected milliseconds, got \"" + std::string(s) + "\"");
  }
  return v;
}

Result<std::optional<Quote>> parse_json_line(std::string_view line) {
  boost::system::error_code ec;
  const json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return fail(ErrorCode::InvalidArgument, "not a JSON object");
  const json::object& o = v.as_object();
  Quote q;
  const json::value* ts = o.if_contains("ts");
  if (ts == nullptr || !ts->is_int64() || ts->as_int64() < 0) {
    if (ts == nullptr || !ts->is_uint64()) {
      return fail(ErrorCode::InvalidArgument, "ts: expected milliseconds");
    }
    q.ts = static_cast<Timestamp>(ts->as_uint64());
  } else {
    q.ts = ts->as_int64();
  }
  const json::value* u = o.if_contains("underlying");
  if (u == nullptr || !u->is_string() || u->as_string().empty()) {
    return fail(ErrorCode::InvalidArgument, "underlying: expected a name");
  }
  q.underlying = upper(u->as_string());
  const json::value* p = o.if_contains("price");
  if (p == nullptr) return fail(ErrorCode::InvalidArgument, "price: missing");
  auto price = price_of(*p);
  if (!price) return std::unexpected(price.error());
  q.price = *price;
  return std::optional<Quote>(std::move(q));
}

}  // namespace

Result<std::optional<Quote>> parse_price_line(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() == '#') return std::optional<Quote>{};
  if (line.front() == '{') return parse_json_line(line);
  const auto c1 = line.find(',');
  const auto c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos) {
    return fail(ErrorCode::InvalidArgument, "expected ts,underlying,price");
  }
  const auto ts_text = trim(line.substr(0, c1));
  const auto u_text = trim(line.substr(c1 + 1, c2 - c1 - 1));
  const auto p_text = trim(line.substr(c2 + 1));
  if (ts_text == "ts" && u_text == "underlying" && p_text == "price") {
    return std::optional<Quote>{};  // header
  }
  auto ts = parse_ts(ts_text);
  if (!ts) return std::unexpected(ts.error());
  if (u_text.empty()) return fail(ErrorCode::InvalidArgument, "underlying: empty");
  auto price = price_from_text(p_text);
  if (!price) {
    return fail(price.error().code, "price: " + price.error().message);
  }
  return std::optional<Quote>(Quote{upper(u_text), *price, *ts});
}

Result<std::vector<Quote>> parse_price_file(std::string_view text) {
  std::vector<Quote> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    auto q = parse_price_line(line);
    if (!q) {
      std::string msg = "line ";
      msg.append(std::to_string(line_no)).append(": ").append(q.error().message);
      return fail(q.error().code, std::move(msg));
    }
    if (*q) out.push_back(std::move(**q));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Quote& a, const Quote& b) { return a.ts < b.ts; });
  return out;
}

Result<std::unique_ptr<FileSource>> FileSource::open(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::IoError, "cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto records = parse_price_file(text.str());
  if (!records) return fail(records.error().code, path.string() + ": " + records.error().message);
  if (records->empty()) return fail(ErrorCode::InvalidArgument, path.string() + ": no prices");
  std::string name = "file:";
  name.append(path.filename().string());
  return std::make_unique<FileSource>(std::move(name), std::move(*records));
}

FileSource::FileSource(std::string name, std::vector<Quote> records)
    : name_(std::move(name)), records_(std::move(records)) {}

Result<std::vector<Quote>> FileSource::poll(Timestamp now) {
  if (records_.empty()) return std::vector<Quote>{};
  if (!shift_) shift_ = now - records_.front().ts;
  std::map<std::string, Quote> due;
  while (next_ < records_.size() && records_[next_].ts + *shift_ <= now) {
    Quote q = records_[next_++];
    q.ts += *shift_;
    due[q.underlying] = std::move(q);
  }
  std::vector<Quote> out;
  for (auto& [u, q] : due) out.push_back(std::move(q));
  return out;
}

}  // namespace cx::oracle
