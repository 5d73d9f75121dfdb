#pragma once
/// The REST API and the WebSocket endpoint over the engine service, the read store and auth
/// (contract: docs/openapi.yaml and docs/websocket.md). Builds the net::Router and the
/// net::WsHandlers the HttpServer runs.
///
/// Threading: handlers run on I/O threads. Writes to the exchange and reads of live state go
/// through the EngineService queue (async handlers reply from the engine thread). Routes that
/// read history from the read store (and may wait for the projector first) run on a small
/// reader pool (on_readers()), so a slow query never holds up the connections of an I/O thread;
/// they use a small pool of read-store connections.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/engine_service.hpp"
#include "api/worker_pool.hpp"
#include "api/ws_hub.hpp"
#include "auth/key_cache.hpp"
#include "auth/login_codes.hpp"
#include "auth/mailer.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/tokens.hpp"
#include "core/string_map.hpp"
#include "net/metrics.hpp"
#include "net/router.hpp"
#include "net/server_options.hpp"
#include "oracle/oracle.hpp"
#include "store/sqlite_read_store.hpp"

namespace cx::api {

struct ApiOptions {
  std::vector<std::string> admin_emails;  ///< lowercase; these users get the "admin" role
  std::string token_secret;               ///< HMAC key of access tokens (random if empty)
  std::int64_t access_ttl_ms = 15 * 60 * 1000;
  std::int64_t refresh_ttl_ms = 30LL * 24 * 3600 * 1000;
  bool secure_cookies = false;  ///< set the Secure flag (behind TLS)
  auth::LoginCodeOptions login;
  /// Per API key or user, and per client IP: a burst, then one more request per refill_ms.
  /// A burst of 0 turns that limit off (load tests).
  std::uint32_t key_burst = 1000;
  std::int64_t key_refill_ms = 1;  ///< 1,000 requests/s sustained per key
  std::uint32_t ip_burst = 2000;
  std::int64_t ip_refill_ms = 1;
  std::size_t store_connections = 4;
  std::size_t reader_threads = 2;     ///< threads that run the read-store routes
  std::size_t reader_queue = 10'000;  ///< requests waiting for them; beyond it 503
  std::string login_subject = "Your Cxmpute login code";
  /// Test hook: milliseconds since the epoch (default: the system clock).
  std::function<Timestamp()> clock;
};

/// Who is calling, once authenticated.
struct Principal {
  std::string user_id;  ///< also the trader name in the exchange
  std::vector<std::string> roles;
  bool admin() const noexcept;
};

class AiGateway;

class Api {
 public:
  Api(EngineService& engine, WsHub& hub, auth::Mailer& mailer,
      std::shared_ptr<net::ServerMetrics> metrics, ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  /// The REST routes (and /healthz, /readyz, /metrics).
  net::Router router();
  /// The /ws endpoint's hooks (auth by ?traderAk= or the session cookie; anonymous sessions
  /// may read market channels).
  net::WsHandlers ws_handlers();

  /// Serves the AI gateway's routes (/api/v1, /api/providers, credits) through `gateway`; call
  /// before router(). The gateway must outlive the router.
  void attach_gateway(AiGateway* gateway) noexcept { gateway_ = gateway; }

  /// Marks the server ready (or not) for /readyz.
  void set_ready(bool ready) noexcept { ready_.store(ready); }
  /// Before the server starts: where /api/prices reads the oracle's indices and sources (called
  /// on the engine thread). Without it, /api/prices shows the exchange's prices only.
  using OracleStatusFn = std::function<oracle::OracleStatus()>;
  void set_oracle_status(OracleStatusFn fn) { oracle_status_ = std::move(fn); }

  /// Runs `fn` with one read-store connection (any thread; blocks while all are busy).
  template <class F>
  auto with_store(F&& fn) {
    Slot& s = slot();
    std::lock_guard lk(s.mutex);
    return fn(*s.store);
  }

 private:
  struct Slot {
    std::mutex mutex;
    std::unique_ptr<store::SqliteReadStore> store;
  };
  Slot& slot();
  Timestamp now() const;

  // authentication (api/auth_routes.cpp)
  Result<Principal> authenticate(const net::Request& req, bool allow_trader_key);
  Result<Principal> session_principal(const net::Request& req);
  /// An API key of `kind` as a Bearer token or in `header`, else a session.
  Result<Principal> authenticate_as(const net::Request& req, store::KeyKind kind,
                                    std::string_view header);
  std::optional<net::Response> limited(const net::Request& req, std::string_view key);
  /// Records the key's last use in the store, at most once a minute per key (by its prefix;
  /// the hash is computed only when a write is due).
  void note_key_use(const std::string& prefix, std::string_view secret);
  std::mutex key_use_mutex_;
  std::unordered_map<std::string, Timestamp> key_used_;

  /// The trader id of a user (or trader) name: from the store the first time it is found, then
  /// from memory, since the journal gives an id once and never changes it. A name without one
  /// yet is asked of the store each time (it may be registered any moment).
  Result<std::optional<TraderId>> trader_id_of(store::ReadStore& st, std::string_view name);
  std::shared_mutex trader_ids_mutex_;
  StringMap<TraderId> trader_ids_;

  /// Before a read-store query: waits (at most 2 s) until the store holds every command that was
  /// durable when the request arrived, so a read that follows a write sees it.
  void read_your_writes() const {
    (void)engine_.wait_projected(engine_.durable_seq(), std::chrono::milliseconds(2000));
  }

  /// Runs `handler` on the reader pool instead of the I/O thread (the request is copied). A
  /// full pool answers 503 UNAVAILABLE; a handler that throws answers 500 INTERNAL.
  net::AsyncHandler on_readers(net::AsyncHandler handler);
  net::AsyncHandler on_readers(net::Handler handler);

  void add_public_routes(net::Router& r);
  void add_trading_routes(net::Router& r);
  void add_user_routes(net::Router& r);
  void add_admin_routes(net::Router& r);
  void add_ai_routes(net::Router& r);  // api/routes_ai.cpp

  /// Submits a JSON command and replies with what `shape` makes of its result (engine
  /// thread). A decode error is its 4xx; a full queue is 503.
  void submit(boost::json::object command, net::Reply reply,
              std::function<net::Response(CommandResult&, const engine::Exchange&)> shape,
              EngineService::Guard guard = {});

  // Idempotent placement: client order ids of orders not yet in the read store (engine thread).
  struct RecentOrder {
    OrderId order_id = 0;
    MarketId market = 0;
    SeqNo seq = 0;
    Timestamp ts = 0;  ///< engine time of the placement
    Qty qty = 0;
    Qty remaining = 0;
    std::string closed;  ///< "CANCELLED" / "EXPIRED" once removed by either
  };
  void record_client_ids(SeqNo seq, std::span<const engine::ExEvent> events,
                         const engine::Exchange& x);
  static std::string cid_key(TraderId trader, engine::Mode mode, std::string_view cid);
  std::unordered_map<std::string, RecentOrder> recent_cids_;
  std::deque<std::pair<SeqNo, std::string>> recent_order_;
  std::unordered_map<OrderId, std::string> recent_by_id_;

  OracleStatusFn oracle_status_;
  EngineService& engine_;
  WsHub& hub_;
  auth::Mailer& mailer_;
  std::shared_ptr<net::ServerMetrics> metrics_;
  ApiOptions options_;
  auth::TokenSigner signer_;
  auth::KeyCache keys_;
  auth::LoginCodes codes_;
  auth::RateLimiter key_limiter_;
  auth::RateLimiter ip_limiter_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<std::size_t> next_slot_{0};
  std::mutex accounts_mutex_;  ///< serialises account creation (user, keys, trader)
  std::atomic<bool> ready_{false};
  AiGateway* gateway_ = nullptr;
  std::unique_ptr<WorkerPool> readers_;  ///< stopped first in ~Api (its tasks use the above)
};

}  // namespace cx::api
