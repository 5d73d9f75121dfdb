#pragma once
/// A price source: something polled now and then for the latest prices of some underlyings.
/// Implementations: SimulatedSource (seeded random walk), FileSource (CSV / JSON-lines replay),
/// HttpSource (CoinMarketCap-style quotes or a generic JSON endpoint).
///
/// Threading: a source is polled by one thread at a time (the oracle's); it may block for at
/// most its own timeout.

#include <string>
#include <vector>

#include "core/error.hpp"
#include "oracle/quote.hpp"

namespace cx::oracle {

class Source {
 public:
  virtual ~Source() = default;
  /// Name for logs and the /api/prices answer ("simulated", "cmc", "file:prices.csv", ...).
  virtual const std::string& name() const noexcept = 0;
  /// The latest quotes the source has at `now` (ms); an empty vector when it has nothing new.
  /// Fails (IoError, Corrupt, Unavailable) when the source cannot be read: the oracle logs it
  /// and keeps the source's earlier quotes until they age out.
  [[nodiscard]] virtual Result<std::vector<Quote>> poll(Timestamp now) = 0;
};

}  // namespace cx::oracle
