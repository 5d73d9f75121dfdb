#include "oracle/index_book.hpp"

#include <algorithm>

namespace cx::oracle {

std::int64_t median(std::span<std::int64_t> values) noexcept {
  const std::size_t n = values.size();
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (n % 2 == 1) return *mid;
  const std::int64_t upper_mid = *mid;
  const std::int64_t lower_mid = *std::max_element(values.begin(), mid);
  // Mean without overflow: both are positive prices.
  return lower_mid + (upper_mid - lower_mid) / 2;
}

std::size_t IndexBook::add_source(std::string name, Timestamp max_age_ms) {
  sources_.push_back({std::move(name), max_age_ms});
  return sources_.size() - 1;
}

void IndexBook::record(std::size_t source, const Quote& q) {
  if (source >= sources_.size() || q.price <= 0 || q.underlying.empty()) return;
  auto& per = latest_[q.underlying];
  auto it = per.find(source);
  if (it == per.end()) {
    per.emplace(source, q);
  } else if (q.ts >= it->second.ts) {
    it->second = q;
  }
}

std::vector<IndexPrice> IndexBook::compute(Timestamp now) const {
  std::vector<IndexPrice> out;
  std::vector<std::int64_t> fresh;
  for (const auto& [underlying, per] : latest_) {
    IndexPrice ip;
    ip.underlying = underlying;
    ip.known = per.size();
    fresh.clear();
    Timestamp newest_fresh = 0;
    Timestamp newest = 0;
    for (const auto& [source, q] : per) {
      newest = std::max(newest, q.ts);
      if (now - q.ts <= sources_[source].max_age_ms) {
        fresh.push_back(q.price);
        newest_fresh = std::max(newest_fresh, q.ts);
      }
    }
    ip.sources = fresh.size();
    ip.stale = fresh.empty();
    ip.ts = ip.stale ? newest : newest_fresh;
    if (!ip.stale) ip.price = median(fresh);
    out.push_back(std::move(ip));
  }
  return out;
}

}  // namespace cx::oracle
