#pragma once
/// The WebSocket feed (docs/websocket.md): channels `market.<SYMBOL>.<MODE>` (depth snapshot then
/// increments with sequence numbers and a checksum, trades, prices, klines, 24h summaries) and
/// `trader.<traderId>.<MODE>` (the trader's orders, fills, balances and positions).
///
/// The hub is an EngineListener: it sees every committed command on the engine thread, keeps a
/// depth view per market and sends to the channel's subscribers (WsGroup: sends never block).
/// Subscriptions are changed on the engine thread too (through EngineService::query), so a
/// depth snapshot and the increments after it are queued to a session in order.
///
/// Threading: on_* run on the engine thread; handle_message() on any I/O thread.

#include <boost/json/array.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/engine_service.hpp"
#include "net/ws_group.hpp"
#include "net/ws_session.hpp"

namespace cx::api {

/// What a WebSocket session is allowed to see, fixed when it is accepted.
struct WsPrincipal {
  std::string user_id;  ///< "" for an anonymous session (market channels only)
  bool admin = false;
};

/// A parsed channel name.
struct Channel {
  enum class Kind : std::uint8_t { Market, Trader } kind = Kind::Market;
  std::string name;  ///< the symbol or the trader id
  engine::Mode mode = engine::Mode::Paper;
};
/// "market.sBTC/USDC.PAPER" -> {Market, "sBTC/USDC", Paper}; nullopt when malformed.
std::optional<Channel> parse_channel(std::string_view text);

class WsHub final : public EngineListener {
 public:
  /// `flush_interval`: depth increments and trades are gathered per market and sent at most
  /// this often (0: at the end of every engine batch), one `depth` and one `trades` message per
  /// market and flush.
  explicit WsHub(EngineService& engine, std::size_t depth_levels = 20,
                 std::chrono::milliseconds flush_interval = std::chrono::milliseconds(0));

  /// Loads the depth of every market as it stands (before the engine thread starts).
  void init(const engine::Exchange& x);

  /// A client message on `session` (any I/O thread): subscribe, unsubscribe, ping.
  void handle_message(const net::WsSessionPtr& session, std::string_view text);
  /// The session closed: forget its subscriptions.
  void forget(std::uint64_t session_id);

  /// Current depth of a market, as JSON (engine thread): {"seq","bids","asks","checksum"}.
  std::string depth_json(MarketId market, std::size_t levels) const;

  void on_command(const Committed& c, const engine::Exchange& x) override;
  void on_batch_end(const engine::Exchange& x) override;
  void on_idle(const engine::Exchange& x) override;

  /// Checksum of the top 10 levels (docs/websocket.md).
  static std::uint32_t checksum(std::string_view text);

 private:
  struct Depth {
    std::map<Price, std::pair<Qty, std::uint32_t>, std::greater<>> bids;
    std::map<Price, std::pair<Qty, std::uint32_t>> asks;
  };
  struct MarketFeed {
    std::string channel;
    int price_scale = 0;
    int qty_scale = 0;
    Depth depth;
    std::uint64_t seq = 0;  ///< depth sequence: +1 per increment
    net::WsGroup subs;
    std::vector<std::pair<bool, Price>> changed;  ///< (is bid, price) since the last flush
    boost::json::array trades;                    ///< trades since the last flush
    std::chrono::steady_clock::time_point last_flush{};
    Timestamp last_summary = 0;
    bool touched = false;
  };
  struct TraderFeed {
    net::WsGroup subs;
    bool touched = false;
  };

  MarketFeed& feed(MarketId id, const engine::Exchange& x);
  void subscribe(const net::WsSessionPtr& s, const Channel& ch, std::string id,
                 const engine::Exchange& x);
  void unsubscribe(const net::WsSessionPtr& s, const Channel& ch, std::string id);
  std::string snapshot_text(const MarketFeed& f, std::size_t levels) const;
  std::uint32_t top_checksum(const MarketFeed& f) const;
  /// Sends what each market gathered, if its flush interval has passed (or `force`).
  void flush(bool force);
  void send_account(const std::string& trader, engine::Mode mode, TraderFeed& tf,
                    const engine::Exchange& x);

  EngineService& engine_;
  std::size_t depth_levels_;
  std::chrono::milliseconds flush_interval_;
  // Engine thread only:
  std::vector<std::unique_ptr<MarketFeed>> markets_;  ///< by market id
  std::map<std::pair<std::string, int>, TraderFeed> traders_;
  /// Channels per session, to forget them on close.
  std::unordered_map<std::uint64_t, std::set<std::string>> by_session_;
};

}  // namespace cx::api
