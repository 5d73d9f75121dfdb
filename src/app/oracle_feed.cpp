#include "app/oracle_feed.hpp"

#include <chrono>
#include <future>
#include <set>

#include "core/decimal.hpp"
#include "oracle/file_source.hpp"
#include "oracle/http_source.hpp"
#include "oracle/simulated_source.hpp"

namespace cx::app {

using namespace std::chrono_literals;

namespace {

/// What setup() needs from the exchange: the underlyings of its markets, and for each the last
/// index (oracle scale) any live market of it has.
struct Known {
  std::set<std::string> underlyings;
  std::map<std::string, std::int64_t> last_index;
};

Result<Known> known_underlyings(api::EngineService& engine) {
  auto p = std::make_shared<std::promise<Known>>();
  auto fut = p->get_future();
  const bool queued = engine.query([p](const engine::Exchange& x) {
    Known k;
    for (MarketId id = 0; id < x.market_count(); ++id) {
      const engine::Market& m = x.market(id);
      if (m.spec.underlying.empty()) continue;
      k.underlyings.insert(oracle::upper(m.spec.underlying));
      if (m.index <= 0 || m.status == engine::MarketStatus::Settled) continue;
      if (m.spec.price_scale > oracle::kOracleScale) continue;
      std::int64_t units = 0;
      if (mul_div_trunc(m.index, pow10(oracle::kOracleScale - m.spec.price_scale), 1, units)) {
        k.last_index[oracle::upper(m.spec.underlying)] = units;
      }
    }
    p->set_value(std::move(k));
  });
  if (!queued || fut.wait_for(10s) != std::future_status::ready) {
    return fail(ErrorCode::Unavailable, "oracle set-up: no answer from the engine");
  }
  return fut.get();
}

}  // namespace

OracleFeed::OracleFeed(api::EngineService& engine, std::vector<OracleSourceConfig> sources,
                       const Config& config, Clock clock, Log log)
    : engine_(engine),
      sources_(std::move(sources)),
      config_(config),
      clock_(std::move(clock)),
      log_(std::move(log)) {}

OracleFeed::~OracleFeed() {
  stop();
}

Result<void> OracleFeed::setup() {
  auto known = known_underlyings(engine_);
  if (!known) return std::unexpected(known.error());
  oracle_ = std::make_unique<oracle::Oracle>(
      clock_,
      [this](const std::vector<oracle::IndexPrice>& indices, Timestamp) { publish(indices); },
      std::chrono::milliseconds(config_.oracle_poll_ms), log_);
  for (const OracleSourceConfig& sc : sources_) {
    const Timestamp max_age = sc.max_age_ms > 0               ? sc.max_age_ms
                              : config_.oracle_max_age_ms > 0 ? config_.oracle_max_age_ms
                                                              : 30'000;
    const auto every =
        std::chrono::milliseconds(sc.poll_ms > 0 ? sc.poll_ms : config_.oracle_poll_ms);
    std::unique_ptr<oracle::Source> src;
    if (sc.kind == "simulated") {
      paper_only_ = true;
      std::map<std::string, std::int64_t> start{{"BTC", 60'000 * pow10(oracle::kOracleScale)},
                                                {"ETH", 3'000 * pow10(oracle::kOracleScale)}};
      auto sim = std::make_unique<oracle::SimulatedSource>(
          sc.seed != 0 ? sc.seed : config_.demo_seed, std::move(start));
      for (const auto& [u, price] : known->last_index) sim->resume(u, price);
      src = std::move(sim);
    } else if (sc.kind == "file") {
      auto f = oracle::FileSource::open(sc.file);
      if (!f) return std::unexpected(f.error());
      src = std::move(*f);
    } else {
      oracle::HttpSourceOptions ho;
      ho.kind = sc.kind == "cmc" ? oracle::HttpSourceOptions::Kind::Cmc
                                 : oracle::HttpSourceOptions::Kind::Json;
      ho.name = sc.name;
      ho.url = sc.url;
      ho.api_key = sc.api_key.empty() ? config_.oracle_cmc_api_key : sc.api_key;
      ho.symbols = sc.symbols;
      if (ho.symbols.empty())
        ho.symbols.assign(known->underlyings.begin(), known->underlyings.end());
      if (ho.symbols.empty()) ho.symbols = {"BTC", "ETH"};
      ho.convert = sc.convert;
      ho.path = sc.path;
      ho.underlying = sc.underlying;
      ho.timeout = std::chrono::milliseconds(sc.timeout_ms);
      src = std::make_unique<oracle::HttpSource>(std::move(ho));
    }
    oracle_->add_source(std::move(src), max_age, every);
  }
  return {};
}

void OracleFeed::publish(const std::vector<oracle::IndexPrice>& indices) {
  std::map<std::string, std::int64_t> fresh;
  for (const auto& ip : indices) {
    if (!ip.stale) fresh[ip.underlying] = ip.price;
  }
  if (fresh.empty()) return;
  // On the engine thread: one PriceUpdate per live market of a fresh underlying.
  api::EngineService* engine = &engine_;
  const bool paper_only = paper_only_;
  (void)engine_.query([engine, paper_only, fresh = std::move(fresh)](const engine::Exchange& x) {
    for (MarketId id = 0; id < x.market_count(); ++id) {
      const engine::Market& m = x.market(id);
      if (paper_only && m.spec.mode != engine::Mode::Paper) continue;
      if (m.status == engine::MarketStatus::Settled || m.status == engine::MarketStatus::Delisted) {
        continue;
      }
      auto it = fresh.find(oracle::upper(m.spec.underlying));
      if (it == fresh.end()) continue;
      const auto units = oracle::to_market_units(it->second, m.spec.price_scale);
      if (!units) continue;
      (void)engine->submit(engine::PriceUpdate{id, *units, 0}, {});
    }
  });
}

void OracleFeed::start() {
  if (oracle_) oracle_->start();
}

void OracleFeed::stop() {
  if (oracle_) oracle_->stop();
}

oracle::OracleStatus OracleFeed::status() const {
  return oracle_ ? oracle_->status() : oracle::OracleStatus{};
}

std::size_t OracleFeed::source_count() const {
  return oracle_ ? oracle_->source_count() : 0;
}

std::optional<double> OracleFeed::index_usd(const std::string& underlying) const {
  for (const auto& ip : status().indices) {
    if (ip.underlying == underlying && !ip.stale) {
      return static_cast<double>(ip.price) / static_cast<double>(pow10(oracle::kOracleScale));
    }
  }
  return std::nullopt;
}

}  // namespace cx::app
