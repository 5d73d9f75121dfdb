#include "app/demo_feed.hpp"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>
#include <ctime>
#include <future>

namespace cx::app {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kMaker = "demo-mm";
constexpr const char* kTaker = "demo-taker";
constexpr double kYearMs = 365.0 * 24 * 3600 * 1000;

std::string price_text(double p) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", p < 0.01 ? 0.01 : p);
  return buf;
}

/// "26DEC26" for a time in ms.
std::string date_tag(Timestamp ms) {
  static constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%s%02d", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year % 100);
  return buf;
}

}  // namespace

DemoFeed::DemoFeed(api::EngineService& engine, std::uint64_t seed, Timestamp now_ms,
                   PriceOf price_of)
    : engine_(engine), rng_(seed * 0x9E3779B97F4A7C15ULL + 1), price_of_(std::move(price_of)) {
  // The future and options expire 30 days from the first start at 08:00 UTC; setup() keeps the
  // expiry of demo markets that exist already, so a restart does not create a second set.
  constexpr Timestamp kDay = 86'400'000;
  expiry_ = (now_ms / kDay + 30) * kDay + 8 * 3'600'000;
  prices_["BTC"] = 60000;
  prices_["ETH"] = 3000;
  define_markets();
}

void DemoFeed::define_markets() {
  expiry_tag_ = date_tag(expiry_);
  markets_.clear();
  using K = MarketDef::Kind;
  markets_.push_back({"sBTC/USDC", "BTC", K::Spot, 0, true, "0.0100"});
  markets_.push_back({"sETH/USDC", "ETH", K::Spot, 0, true, "0.200"});
  markets_.push_back({"BTC-PERP", "BTC", K::Perp, 0, true, "0.010"});
  markets_.push_back({"ETH-PERP", "ETH", K::Perp, 0, true, "0.10"});
  markets_.push_back({"BTC-" + expiry_tag_, "BTC", K::Future, 0, true, "0.010"});
  for (int strike : {55000, 60000, 65000}) {
    for (bool call : {true, false}) {
      markets_.push_back(
          {"BTC-" + expiry_tag_ + "-" + std::to_string(strike) + (call ? "-C" : "-P"), "BTC",
           K::Option, static_cast<double>(strike), call, "0.01"});
    }
  }
}

DemoFeed::~DemoFeed() {
  stop();
}

std::vector<std::string> DemoFeed::symbols() const {
  std::vector<std::string> out;
  for (const auto& m : markets_) out.push_back(m.symbol);
  return out;
}

std::uint64_t DemoFeed::next() {
  // splitmix64
  std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

bool DemoFeed::run(const std::string& text, std::string* why) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto fut = done->get_future();
  const bool queued =
      engine_.submit_json(text, [done](api::CommandResult& r, const engine::Exchange&) {
        std::string bad;
        if (r.error) bad = r.error->message;
        for (const json::value& v : r.events) {
          const json::object& o = v.as_object();
          if (o.at("event").as_string() == "rejected") {
            bad = std::string(o.at("reason").as_string());
            break;
          }
        }
        done->set_value(bad);
      });
  if (!queued) {
    if (why) *why = "engine refused the command";
    return false;
  }
  if (fut.wait_for(10s) != std::future_status::ready) {
    if (why) *why = "no answer from the engine";
    return false;
  }
  std::string bad = fut.get();
  if (why) *why = bad;
  return bad.empty();
}

Result<void> DemoFeed::setup() {
  // An earlier run's demo future (still live) fixes the expiry.
  struct Found {
    Timestamp expiry = 0;
  };
  auto found = std::make_shared<std::promise<Found>>();
  auto found_fut = found->get_future();
  (void)engine_.query([found](const engine::Exchange& x) {
    Found f;
    for (MarketId id = 0; id < x.market_count(); ++id) {
      const engine::Market& m = x.market(id);
      if (m.spec.mode != engine::Mode::Paper || m.status != engine::MarketStatus::Active) continue;
      if (m.spec.kind == engine::MarketKind::Future && m.spec.underlying == "BTC" &&
          m.spec.symbol.starts_with("BTC-") && m.spec.expiry > x.now()) {
        f.expiry = std::max(f.expiry, m.spec.expiry);
      }
    }
    found->set_value(f);
  });
  if (found_fut.wait_for(10s) != std::future_status::ready) {
    return fail(ErrorCode::Internal, "no answer from the engine");
  }
  const Found f = found_fut.get();
  if (f.expiry != 0) {
    expiry_ = f.expiry;
    define_markets();
  }
  // Markets: created once; a restart finds them in the journal (MARKET_EXISTS is fine).
  for (const MarketDef& m : markets_) {
    json::object c{{"cmd", "createMarket"}, {"mode", "PAPER"}, {"symbol", m.symbol}};
    switch (m.kind) {
      case MarketDef::Kind::Spot:
        c["kind"] = "SPOT";
        c["base"] = m.underlying == "BTC" ? "sBTC" : "sETH";
        c["tickSize"] = "0.01";
        c["lotSize"] = m.underlying == "BTC" ? "0.0001" : "0.001";
        break;
      case MarketDef::Kind::Perp:
        c["kind"] = "PERP";
        c["tickSize"] = "0.01";
        c["lotSize"] = m.underlying == "BTC" ? "0.001" : "0.01";
        break;
      case MarketDef::Kind::Future:
        c["kind"] = "FUTURE";
        c["tickSize"] = "0.01";
        c["lotSize"] = "0.001";
        c["expiry"] = expiry_;
        break;
      case MarketDef::Kind::Option:
        c["kind"] = "OPTION";
        c["tickSize"] = "0.01";
        c["lotSize"] = "0.01";
        c["expiry"] = expiry_;
        c["strike"] = price_text(m.strike);
        c["optionType"] = m.call ? "CALL" : "PUT";
        break;
    }
    if (m.kind != MarketDef::Kind::Spot) c["underlying"] = m.underlying;
    c["makerFeeBps"] = 2;
    c["takerFeeBps"] = 5;
    std::string why;
    if (!run(json::serialize(c), &why) && why != "MARKET_EXISTS" && why != "DUPLICATE_MARKET" &&
        why.find("EXISTS") == std::string::npos) {
      return fail(ErrorCode::Internal, "demo market " + m.symbol + ": " + why);
    }
  }
  // Funds for the demo traders (PAPER only), once: their PAPER grant comes with registration.
  auto fund = [&](const char* trader, const char* asset, const char* amount) -> Result<void> {
    json::object d{{"cmd", "deposit"},
                   {"mode", "PAPER"},
                   {"trader", trader},
                   {"asset", asset},
                   {"amount", amount}};
    std::string why;
    if (!run(json::serialize(d), &why)) {
      return fail(ErrorCode::Internal, std::string("demo deposit: ") + why);
    }
    return {};
  };
  auto funded = std::make_shared<std::promise<bool>>();
  auto fut = funded->get_future();
  (void)engine_.query(
      [funded](const engine::Exchange& x) { funded->set_value(x.trader_id(kMaker).has_value()); });
  if (fut.wait_for(10s) != std::future_status::ready) {
    return fail(ErrorCode::Internal, "no answer from the engine");
  }
  if (!fut.get()) {
    for (const char* t : {kMaker, kTaker}) {
      if (auto r = fund(t, "USDC", "50000000"); !r) return r;
      if (auto r = fund(t, "sBTC", "500"); !r) return r;
      if (auto r = fund(t, "sETH", "5000"); !r) return r;
    }
  }
  return {};
}

double DemoFeed::fair(const MarketDef& m) const {
  const double s = prices_.at(m.underlying);
  if (m.kind != MarketDef::Kind::Option) return s;
  const double intrinsic = m.call ? std::max(0.0, s - m.strike) : std::max(0.0, m.strike - s);
  // A rough time value: 60% volatility, sqrt-time scaling. Only a demo's quotes.
  const double years =
      std::max(1.0 / 365, static_cast<double>(expiry_) / kYearMs -
                              static_cast<double>(std::time(nullptr)) * 1000 / kYearMs);
  return intrinsic + 0.4 * 0.6 * s * std::sqrt(years) * std::exp(-std::abs(s - m.strike) / s * 4);
}

void DemoFeed::step() {
  // Prices are the oracle's (which sends them to the engine itself); without a fresh index the
  // maker keeps quoting around the last one it saw.
  for (auto& [u, p] : prices_) {
    if (price_of_) {
      if (auto fresh = price_of_(u)) p = *fresh;
    }
  }
  for (const MarketDef& m : markets_) {
    const double f = fair(m);
    // Quotes: five levels a side, 5 bps apart, replaced in one batch with the cancel.
    json::array cmds;
    cmds.push_back(json::object{{"cmd", "cancelAll"}, {"market", m.symbol}});
    for (int i = 1; i <= 5; ++i) {
      const double spread = (m.kind == MarketDef::Kind::Option ? 0.01 : 0.0005) * i;
      cmds.push_back(json::object{{"cmd", "placeOrder"},
                                  {"market", m.symbol},
                                  {"side", "BUY"},
                                  {"type", "LIMIT"},
                                  {"price", price_text(f * (1 - spread))},
                                  {"qty", m.qty},
                                  {"postOnly", true}});
      cmds.push_back(json::object{{"cmd", "placeOrder"},
                                  {"market", m.symbol},
                                  {"side", "SELL"},
                                  {"type", "LIMIT"},
                                  {"price", price_text(f * (1 + spread))},
                                  {"qty", m.qty},
                                  {"postOnly", true}});
    }
    json::object batch{
        {"cmd", "batch"}, {"mode", "PAPER"}, {"trader", kMaker}, {"commands", std::move(cmds)}};
    (void)engine_.submit_json(json::serialize(batch), {});
  }
  // Now and then the taker crosses the spread on a random non-option market.
  if (++steps_ % 2 == 0) {
    const MarketDef& m = markets_[next() % 5];
    const bool buy = next() % 2 == 0;
    const double f = fair(m);
    json::object o{{"cmd", "placeOrder"},
                   {"mode", "PAPER"},
                   {"trader", kTaker},
                   {"market", m.symbol},
                   {"side", buy ? "BUY" : "SELL"},
                   {"type", "LIMIT"},
                   {"timeInForce", "IOC"},
                   {"price", price_text(buy ? f * 1.002 : f * 0.998)},
                   {"qty", m.qty}};
    (void)engine_.submit_json(json::serialize(o), {});
  }
}

void DemoFeed::start(std::chrono::milliseconds period) {
  thread_ = std::thread([this, period] { loop(period); });
}

void DemoFeed::loop(std::chrono::milliseconds period) {
  std::unique_lock lk(mutex_);
  while (!stop_) {
    if (cv_.wait_for(lk, period, [&] { return stop_; })) break;
    lk.unlock();
    step();
    lk.lock();
  }
}

void DemoFeed::stop() {
  {
    std::lock_guard lk(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cx::app
