#pragma once
/// `--demo`: PAPER markets (sBTC/USDC, sETH/USDC, BTC-PERP, ETH-PERP, a BTC future and a small
/// BTC option chain) and a demo market maker and taker that keep quotes on the books and trade
/// now and then, so a newcomer sees a live market at once. Prices come from the oracle (with
/// `--demo` and no configured source, its simulated source: a seeded random walk per
/// underlying); the maker quotes around the current index. Everything goes through the engine
/// as ordinary commands.
///
/// Threading: one thread of its own, started by start(), stopped by stop().

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/engine_service.hpp"
#include "core/error.hpp"

namespace cx::app {

class DemoFeed {
 public:
  /// The oracle's fresh index of an underlying in USD ("BTC"); nullopt while stale.
  using PriceOf = std::function<std::optional<double>(const std::string&)>;
  DemoFeed(api::EngineService& engine, std::uint64_t seed, Timestamp now_ms, PriceOf price_of);
  ~DemoFeed();

  /// Creates the demo markets and funds the demo traders unless they exist; waits until done.
  [[nodiscard]] Result<void> setup();
  /// Starts the feed thread: quotes refreshed every `period` around the oracle's index.
  void start(std::chrono::milliseconds period = std::chrono::milliseconds(500));
  void stop();

  /// The demo markets' symbols (all PAPER).
  std::vector<std::string> symbols() const;

 private:
  struct MarketDef {
    std::string symbol;
    std::string underlying;  ///< "BTC" / "ETH"
    enum class Kind { Spot, Perp, Future, Option } kind = Kind::Spot;
    double strike = 0;
    bool call = true;
    std::string qty;  ///< quote size
  };
  void define_markets();
  void loop(std::chrono::milliseconds period);
  void step();
  /// Submits and waits (bounded) for the result; true when no rejection came back.
  bool run(const std::string& json, std::string* why = nullptr);
  double fair(const MarketDef& m) const;
  std::uint64_t next();

  api::EngineService& engine_;
  std::uint64_t rng_;
  Timestamp expiry_ = 0;
  std::string expiry_tag_;
  std::vector<MarketDef> markets_;
  PriceOf price_of_;
  std::map<std::string, double> prices_;  ///< underlying -> last fresh index
  std::uint64_t steps_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace cx::app
