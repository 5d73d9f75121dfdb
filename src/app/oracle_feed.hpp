#pragma once
/// The server's oracle: builds the price sources of `[oracle]` (docs/oracle.md), runs the
/// oracle's polling thread, and publishes each fresh index as one PriceUpdate command per market
/// of that underlying (both modes, or PAPER only when a source is simulated; mark 0, so the
/// exchange derives the mark), so prices enter
/// the exchange only through the command log. A stale underlying gets no update: once its last
/// price is older than the exchange's oracle_max_age_ms, new risk there is refused with
/// STALE_ORACLE_PRICE.
///
/// Threading: setup()/start()/stop() from the control thread; status() and index() from any.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/engine_service.hpp"
#include "app/config.hpp"
#include "oracle/oracle.hpp"

namespace cx::app {

class OracleFeed {
 public:
  using Clock = oracle::Oracle::Clock;
  using Log = oracle::Oracle::Log;
  /// `sources` as configured; `demo_seed` seeds simulated sources without a seed of their own.
  OracleFeed(api::EngineService& engine, std::vector<OracleSourceConfig> sources,
             const Config& config, Clock clock, Log log);
  ~OracleFeed();

  /// Builds the sources (a simulated walk resumes from the exchange's last index; CMC asks for
  /// the markets' underlyings unless configured). Fails on a source that cannot be built (an
  /// unreadable price file). Needs the engine running (it queries it).
  [[nodiscard]] Result<void> setup();
  void start();
  void stop();
  /// The last round's indices and sources.
  oracle::OracleStatus status() const;
  /// The fresh index of `underlying` in USD (for the demo's quotes); nullopt when stale.
  std::optional<double> index_usd(const std::string& underlying) const;
  std::size_t source_count() const;

 private:
  void publish(const std::vector<oracle::IndexPrice>& indices);

  api::EngineService& engine_;
  std::vector<OracleSourceConfig> sources_;
  Config config_;
  Clock clock_;
  Log log_;
  std::unique_ptr<oracle::Oracle> oracle_;
  bool paper_only_ = false;  ///< a simulated source never prices REAL markets
};

}  // namespace cx::app
