#pragma once
/// The AI/compute gateway's request path (docs/gateway.md): OpenAI-compatible services under
/// /api/v1 forwarded to provider nodes, the provider API that registers and verifies nodes, and
/// the credit accounts behind both. The pure parts (pools, selection, health, prices, ledger,
/// usage statistics) live in src/gateway; this class adds the network: it verifies nodes by
/// calling them back, forwards requests (buffered or streamed, one retry on another node before
/// the first byte), meters usage and settles credits, and keeps the records off the request path.
///
/// Threading: the handlers run on the server's I/O threads and never block; upstream calls run
/// on the HTTP client's threads (the server's own when wired with use_client); a housekeeping
/// thread ticks node health and drains usage records into the statistics.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/gateway_store.hpp"
#include "core/error.hpp"
#include "gateway/ledger.hpp"
#include "gateway/pricing.hpp"
#include "gateway/registry.hpp"
#include "gateway/service.hpp"
#include "gateway/usage.hpp"
#include "net/http_client.hpp"
#include "net/http_types.hpp"
#include "net/reply.hpp"

namespace cx::api {

struct AiGatewayOptions {
  gateway::RegistryOptions registry;
  gateway::LedgerOptions ledger;
  /// Prices: (service, model or "*", price) rows, later rows overriding earlier ones.
  struct PriceRow {
    gateway::Service service = gateway::Service::Chat;
    std::string model = "*";
    gateway::Price price;
  };
  std::vector<PriceRow> prices;
  /// Node verification: the call back to GET <endpoint>/health must answer by then.
  std::int64_t verify_timeout_ms = 5'000;
  /// A forwarded request must see the node's response head by then (else: one retry, then
  /// 502). Keep it under the server's handler timeout.
  std::int64_t first_byte_timeout_ms = 100'000;
  /// The output tokens reserved for a chat request that names no max_tokens.
  std::int64_t default_max_tokens = 1'024;
  unsigned client_threads = 1;
  /// The ledger and usage history file (<data>/gateway.db); empty: memory only (tests).
  std::filesystem::path db_path;
  /// Usage history loaded into the statistics at start.
  std::int64_t history_days = 90;
  /// Milliseconds since the epoch (tests inject one).
  std::function<std::int64_t()> clock;
};

/// An error in OpenAI's shape: {"error":{"message","type","param","code"}}.
net::Response openai_error(unsigned status, std::string_view message, std::string_view type,
                           std::string_view code, std::string_view param = {});

class AiGateway {
 public:
  /// Loads the ledger and recent usage from options.db_path. Throws std::runtime_error when the
  /// file cannot be opened or its accounts do not balance (the server refuses to start rather
  /// than serve from a ledger it cannot trust).
  explicit AiGateway(AiGatewayOptions options);
  ~AiGateway();
  AiGateway(const AiGateway&) = delete;
  AiGateway& operator=(const AiGateway&) = delete;

  /// Sends upstream calls through `client` instead of the gateway's own (which is then
  /// destroyed): the server's, so that a request and its upstream call stay on the server's
  /// I/O threads (net::HttpServer::client()). Call before the first request.
  void use_client(std::shared_ptr<net::HttpClient> client);

  /// Starts the housekeeping thread; stop() ends it (idempotent; also on destruction).
  void start();
  void stop();

  /// Serves one AI request for `user_id` (already authenticated and rate-limited).
  void serve(gateway::Service service, std::string user_id, const net::Request& req,
             net::Reply reply);
  /// GET /api/v1/models.
  net::Response models() const;

  // provider API
  void register_node(std::string provider_id, const net::Request& req, net::Reply reply);
  net::Response heartbeat(std::string_view provider_id, std::string_view node_id,
                          const net::Request& req);
  net::Response leave(std::string_view provider_id, std::string_view node_id);
  net::Response nodes_of(std::string_view provider_id) const;
  net::Response earnings(std::string_view provider_id) const;

  // user and admin API
  net::Response credits(std::string_view user_id);
  net::Response usage(std::string_view user_id) const;
  net::Response grant(const net::Request& req);
  net::Response overview() const;

  gateway::Ledger& ledger() noexcept { return ledger_; }
  gateway::Registry& registry() noexcept { return registry_; }

 private:
  struct Call;
  void attempt(const std::shared_ptr<Call>& call);
  void forward_buffered(const std::shared_ptr<Call>& call);
  void forward_streamed(const std::shared_ptr<Call>& call);
  /// Settles the call's hold for `usage` and records it; `status` is what the user saw.
  void meter(Call& call, const gateway::Usage& usage, unsigned status, bool cut_short);
  /// The call failed before the user saw a byte: retry once elsewhere, else answer `fallback`.
  void retry_or_fail(const std::shared_ptr<Call>& call, net::Response fallback);
  std::string secret_of(std::string_view node_id) const;
  std::int64_t now() const;
  void housekeeping();

  AiGatewayOptions options_;
  gateway::Registry registry_;
  gateway::Ledger ledger_;
  gateway::UsageQueue queue_;
  gateway::UsageStats stats_;
  std::shared_ptr<net::HttpClient> client_;

  mutable std::shared_mutex secrets_mutex_;
  std::unordered_map<std::string, std::string> secrets_;  ///< node id -> its bearer secret

  std::mutex run_mutex_;
  std::condition_variable run_cv_;
  bool running_ = false;
  std::thread housekeeper_;
  std::atomic<std::uint64_t> requests_{0};
  gateway::PriceTable prices_;
  std::unique_ptr<GatewayStore> store_;
  std::atomic<std::uint64_t> save_errors_{0};
  /// Account rows a failed save did not write; retried with the next (housekeeping thread).
  std::vector<gateway::AccountRow> unsaved_;
  /// Saves the accounts that changed since the last save and `records` (housekeeping thread).
  void persist(std::vector<gateway::UsageRecord>& records);
};

}  // namespace cx::api
