#pragma once
/// The index: per underlying, the median of the latest quotes of the sources that are fresh.
/// A quote is fresh while `now - quote.ts <= max_age` of its source; an underlying whose sources
/// are all stale has no index (stale = true), and the oracle sends no price for it.
///
/// Pure bookkeeping, no clock and no threads: the caller passes `now`. Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "oracle/quote.hpp"

namespace cx::oracle {

/// Median of a non-empty set: the middle value, or for an even count the mean of the two middle
/// values (truncated toward zero). Reorders `values`.
[[nodiscard]] std::int64_t median(std::span<std::int64_t> values) noexcept;

struct IndexPrice {
  std::string underlying;
  std::int64_t price = 0;   ///< 10^-8 units; 0 when stale
  std::size_t sources = 0;  ///< fresh sources in the median
  std::size_t known = 0;    ///< sources that ever quoted this underlying
  Timestamp ts = 0;         ///< newest quote among the fresh ones (latest quote when stale)
  bool stale = true;
};

class IndexBook {
 public:
  /// Registers a source; returns its number for record(). `max_age_ms` > 0.
  std::size_t add_source(std::string name, Timestamp max_age_ms);
  /// Keeps the quote if it is newer than the source's last one for that underlying.
  void record(std::size_t source, const Quote& q);
  /// Every underlying ever quoted, in name order, with its index at `now`.
  [[nodiscard]] std::vector<IndexPrice> compute(Timestamp now) const;

  std::size_t source_count() const noexcept { return sources_.size(); }
  const std::string& source_name(std::size_t i) const { return sources_[i].name; }

 private:
  struct SourceState {
    std::string name;
    Timestamp max_age_ms = 0;
  };
  std::vector<SourceState> sources_;
  /// underlying -> source -> latest quote (price, ts)
  std::map<std::string, std::map<std::size_t, Quote>, std::less<>> latest_;
};

}  // namespace cx::oracle
