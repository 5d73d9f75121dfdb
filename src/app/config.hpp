#pragma once
/// `cxmpute serve` configuration: defaults, overridden by a TOML file (--config), overridden by
/// environment variables (CX_*), overridden by flags. docs/configuration.md lists every key.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cx::app {

/// One price source of `[oracle]` (docs/oracle.md). Which fields count depends on `kind`.
struct OracleSourceConfig {
  std::string kind;                  ///< simulated | file | cmc | json
  std::string name;                  ///< optional label (logs, /api/prices)
  std::string url;                   ///< cmc: base URL; json: the whole URL
  std::string api_key;               ///< cmc (default: oracle.cmc_api_key)
  std::vector<std::string> symbols;  ///< cmc: symbols asked (default: the markets' underlyings)
  std::string convert = "USD";       ///< cmc
  std::string path;                  ///< json: where the price is ("bitcoin.usd")
  std::string underlying;            ///< json: whose price it is
  std::string file;                  ///< file: CSV or JSON-lines prices
  std::int64_t max_age_ms = 0;       ///< 0: oracle.max_age_ms
  std::int64_t poll_ms = 0;          ///< 0: oracle.poll_ms
  std::int64_t timeout_ms = 5'000;   ///< cmc, json: whole request
  std::uint64_t seed = 0;            ///< simulated (0: demo.seed)
};

struct Config {
  // [server]
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned io_threads = 2;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::int64_t idle_timeout_ms = 30'000;
  std::int64_t request_timeout_ms = 10'000;
  std::size_t max_connections = 20'000;
  std::int64_t ws_flush_ms = 0;  ///< market feed increments gathered this long (0: per batch)
  // [data]
  std::filesystem::path data_dir = "data";
  std::uint64_t snapshot_every = 1'000'000;  ///< commands between snapshots; 0: only at stop
  std::int64_t projector_commit_ms = 20;  ///< a read-store transaction gathers commands this long
  // [auth]
  std::vector<std::string> admin_emails;
  std::string token_secret;  ///< empty: random per start (sessions end with the process)
  std::int64_t access_ttl_ms = 15 * 60 * 1000;
  std::int64_t refresh_ttl_ms = 30LL * 24 * 3600 * 1000;
  bool secure_cookies = false;
  // [smtp] (no host: codes go to the log and to <data>/outbox/)
  std::string smtp_host;
  std::uint16_t smtp_port = 587;
  std::string smtp_tls = "starttls";  ///< none | starttls | implicit
  std::string smtp_user;
  std::string smtp_password;
  std::string smtp_from = "Cxmpute <no-reply@cxmpute.local>";
  // [rate_limit] (burst 0: off)
  std::uint32_t key_burst = 1000;
  std::int64_t key_refill_ms = 1;
  std::uint32_t ip_burst = 2000;
  std::int64_t ip_refill_ms = 1;
  // [gateway] (credits are micro-credits: 1 credit = 1,000,000)
  std::int64_t gateway_signup_credits = 10'000'000;
  std::uint32_t gateway_provider_share_bps = 7000;
  std::int64_t gateway_heartbeat_ms = 10'000;
  std::uint32_t gateway_miss_limit = 3;
  std::uint32_t gateway_failure_limit = 3;
  std::int64_t gateway_suspend_base_ms = 30'000;
  std::int64_t gateway_suspend_max_ms = 30 * 60'000;
  std::int64_t gateway_remove_after_ms = 24LL * 3600'000;
  std::int64_t gateway_verify_timeout_ms = 5'000;
  std::int64_t gateway_default_max_tokens = 1'024;
  /// 0: node calls run on the server's I/O threads; else the client's own threads.
  unsigned gateway_client_threads = 0;
  /// [[gateway.prices]] rows: service, model ("*" for the service's default), prices in credits.
  struct Price {
    std::string service;
    std::string model = "*";
    std::int64_t per_million_input = 0;
    std::int64_t per_million_output = 0;
    std::int64_t per_image = 0;
    std::int64_t per_second = 0;
    std::int64_t per_request = 0;
  };
  std::vector<Price> gateway_prices;  ///< over the built-in defaults (docs/gateway.md)
  // [log]
  std::string log_level = "info";  ///< trace debug info warn error
  bool log_json = false;
  // [oracle]
  std::vector<OracleSourceConfig> oracle_sources;  ///< none: no prices (except --demo's)
  std::int64_t oracle_poll_ms = 1'000;
  /// Freshness of a quote, and the exchange's oracle_max_age_ms: a derivative whose price is
  /// older refuses new risk (STALE_ORACLE_PRICE). 0: off. Fixed in a data directory's snapshot.
  std::int64_t oracle_max_age_ms = 30'000;
  std::string oracle_cmc_api_key;
  // [scheduler]
  bool scheduler_enabled = true;
  std::int64_t funding_sample_ms = 60'000;
  std::int64_t funding_settle_ms = 3'600'000;
  std::int64_t scheduler_round_ms = 1'000;
  std::int64_t settlement_window_ms = 1'800'000;  ///< TWAP before expiry (exchange config)
  // [demo]
  bool demo = false;  ///< PAPER demo markets, a simulated price feed and a market maker
  std::uint64_t demo_seed = 1;
};

/// Reads the configuration for `cxmpute serve <args...>`. Fails (InvalidArgument) with a
/// message naming the key or flag on a bad value, an unknown flag, or an unreadable file.
/// `--help` yields an error whose message is the help text and whose code is EmptyValue.
[[nodiscard]] Result<Config> load_config(const std::vector<std::string>& args);

}  // namespace cx::app
