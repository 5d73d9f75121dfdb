#include "app/serve.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "api/ai_gateway.hpp"
#include "api/api.hpp"
#include "api/engine_service.hpp"
#include "api/ws_hub.hpp"
#include "app/config.hpp"
#include "app/stop_signals.hpp"
#include "app/demo_feed.hpp"
#include "app/oracle_feed.hpp"
#include "app/scheduler.hpp"
#include "auth/mailer.hpp"
#include "net/http_server.hpp"

namespace cx::app {

namespace {

/// With no SMTP server configured: each message goes to <data>/outbox/ and to the log, so a
/// login works offline.
class LoggedOutbox final : public auth::Mailer {
 public:
  explicit LoggedOutbox(std::filesystem::path dir) : outbox_(std::move(dir)) {}
  Result<void> send(std::string_view to, std::string_view subject, std::string_view body) override {
    auto r = outbox_.send(to, subject, body);
    spdlog::info("mail to {} ({}): {}", to, subject, body.substr(0, body.find('\r')));
    return r;
  }

 private:
  auth::OutboxMailer outbox_;
};

Timestamp wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The gateway's prices: built-in defaults per service (docs/gateway.md), then the config's rows.
std::vector<api::AiGatewayOptions::PriceRow> price_rows(const Config& c) {
  using gateway::Service;
  // micro-credits: chat 0.50 in / 1.50 out per million tokens, embeddings 0.02 per million,
  // 0.02 per image, 0.05 per second of video, 0.015 per second of speech, 0.001 per scrape,
  // 0.002 per vision task.
  std::vector<api::AiGatewayOptions::PriceRow> rows{
      {Service::Chat, "*", gateway::Price{500'000, 1'500'000, 0, 0, 0}},
      {Service::Embeddings, "*", gateway::Price{20'000, 0, 0, 0, 0}},
      {Service::Image, "*", gateway::Price{0, 0, 20'000, 0, 0}},
      {Service::Video, "*", gateway::Price{0, 0, 0, 50'000, 0}},
      {Service::Tts, "*", gateway::Price{0, 0, 0, 15'000, 0}},
      {Service::Scrape, "*", gateway::Price{0, 0, 0, 0, 1'000}},
  };
  for (Service s : {Service::Caption, Service::Detect, Service::Point, Service::Query}) {
    rows.push_back({s, "*", gateway::Price{0, 0, 0, 0, 2'000}});
  }
  for (const auto& p : c.gateway_prices) {
    if (auto s = gateway::service_from_string(p.service)) {
      rows.push_back({*s, p.model,
                      gateway::Price{p.per_million_input, p.per_million_output, p.per_image,
                                     p.per_second, p.per_request}});
    }
  }
  return rows;
}

void setup_logging(const Config& c) {
  auto logger = spdlog::stderr_color_mt("cxmpute");
  if (c.log_json) {
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(c.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace

int run_serve(const std::vector<std::string>& args) {
  auto cfg = load_config(args);
  if (!cfg) {
    if (cfg.error().code == ErrorCode::EmptyValue) {  // --help
      std::fputs(cfg.error().message.c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "cxmpute serve: %s\n", cfg.error().message.c_str());
    return 2;
  }
  const Config& c = *cfg;
  // Signals are taken by sigwait() below; block them before any thread starts.
  sigset_t signals = block_stop_signals();

  setup_logging(c);
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) {
    spdlog::error("data directory {}: {}", c.data_dir.string(), ec.message());
    return 1;
  }

  api::EngineOptions eo;
  eo.data_dir = c.data_dir;
  eo.durable.snapshot_every = c.snapshot_every;
  eo.projector_commit_interval = std::chrono::milliseconds(c.projector_commit_ms);
  // Exchange parameters: used for a new data directory; an existing one keeps those saved in
  // its snapshot (replay must apply the log with the settings it was written under).
  eo.durable.exchange.oracle_max_age_ms = c.oracle_max_age_ms;
  eo.durable.exchange.settlement_window_ms = c.settlement_window_ms;
  auto engine = api::EngineService::open(eo);
  if (!engine) {
    spdlog::error("cannot open {}: {}", c.data_dir.string(), engine.error().message);
    return 1;
  }
  const auto& rec = (*engine)->recovery();
  spdlog::info("recovered {}: snapshot at seq {}, {} commands replayed, last seq {} ({:.3f} s)",
               c.data_dir.string(), rec.snapshot_seq, rec.replayed, rec.last_seq, rec.seconds);
  const Timestamp max_age = (*engine)->exchange_unsynchronized().config().oracle_max_age_ms;
  if (max_age != c.oracle_max_age_ms) {
    spdlog::warn(
        "oracle.max_age_ms is {} in this data directory's snapshot ({} configured); the "
        "snapshot's value applies",
        max_age, c.oracle_max_age_ms);
  }

  std::unique_ptr<auth::Mailer> mailer;
  std::string mail_where;
  if (c.smtp_host.empty()) {
    mailer = std::make_unique<LoggedOutbox>(c.data_dir / "outbox");
    mail_where = "login codes are written to this log and to " + (c.data_dir / "outbox").string();
  } else {
    auth::SmtpOptions so;
    so.host = c.smtp_host;
    so.port = c.smtp_port;
    so.tls = c.smtp_tls == "none"       ? auth::SmtpOptions::Tls::None
             : c.smtp_tls == "implicit" ? auth::SmtpOptions::Tls::Implicit
                                        : auth::SmtpOptions::Tls::StartTls;
    so.user = c.smtp_user;
    so.password = c.smtp_password;
    so.from = c.smtp_from;
    mailer = std::make_unique<auth::SmtpMailer>(so);
    mail_where =
        "login codes are sent by SMTP through " + c.smtp_host + ":" + std::to_string(c.smtp_port);
  }

  api::WsHub hub(**engine, 20, std::chrono::milliseconds(c.ws_flush_ms));
  hub.init((*engine)->exchange_unsynchronized());
  (*engine)->add_listener(&hub);
  auto metrics = std::make_shared<net::ServerMetrics>();
  api::ApiOptions ao;
  ao.admin_emails = c.admin_emails;
  ao.token_secret = c.token_secret;
  ao.access_ttl_ms = c.access_ttl_ms;
  ao.refresh_ttl_ms = c.refresh_ttl_ms;
  ao.secure_cookies = c.secure_cookies;
  ao.key_burst = c.key_burst;
  ao.key_refill_ms = c.key_refill_ms;
  ao.ip_burst = c.ip_burst;
  ao.ip_refill_ms = c.ip_refill_ms;
  ao.reader_threads = 2;
  ao.store_connections = c.io_threads + ao.reader_threads + 1;
  std::unique_ptr<api::Api> api_ptr;
  try {
    api_ptr = std::make_unique<api::Api>(**engine, hub, *mailer, metrics, ao);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  api::Api& api = *api_ptr;

  api::AiGatewayOptions go;
  go.registry.heartbeat_interval_ms = c.gateway_heartbeat_ms;
  go.registry.miss_limit = static_cast<int>(c.gateway_miss_limit);
  go.registry.failure_limit = static_cast<int>(c.gateway_failure_limit);
  go.registry.suspend_base_ms = c.gateway_suspend_base_ms;
  go.registry.suspend_max_ms = c.gateway_suspend_max_ms;
  go.registry.remove_after_ms = c.gateway_remove_after_ms;
  go.registry.seed = static_cast<std::uint64_t>(wall_ms());
  go.ledger.signup_credits = c.gateway_signup_credits;
  go.ledger.provider_share_bps = c.gateway_provider_share_bps;
  go.prices = price_rows(c);
  go.verify_timeout_ms = c.gateway_verify_timeout_ms;
  go.default_max_tokens = c.gateway_default_max_tokens;
  go.client_threads = c.gateway_client_threads;
  go.db_path = c.data_dir / "gateway.db";
  std::unique_ptr<api::AiGateway> gateway_ptr;
  try {
    gateway_ptr = std::make_unique<api::AiGateway>(std::move(go));
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  api::AiGateway& gateway = *gateway_ptr;
  api.attach_gateway(&gateway);
  gateway.start();
  (*engine)->start();

  // Oracle: the configured sources; --demo without any gets the simulated one.
  std::vector<OracleSourceConfig> sources = c.oracle_sources;
  if (c.demo && sources.empty()) {
    OracleSourceConfig simulated;
    simulated.kind = "simulated";
    sources.push_back(std::move(simulated));
  }
  OracleFeed oracle(**engine, sources, c, wall_ms,
                    [](const std::string& m) { spdlog::warn("{}", m); });
  api.set_oracle_status([&oracle] { return oracle.status(); });

  std::unique_ptr<DemoFeed> demo;
  if (c.demo) {
    demo =
        std::make_unique<DemoFeed>(**engine, c.demo_seed, wall_ms(),
                                   [&oracle](const std::string& u) { return oracle.index_usd(u); });
    if (auto r = demo->setup(); !r) {
      spdlog::error("demo set-up failed: {}", r.error().message);
      (*engine)->stop();
      return 1;
    }
  }
  if (auto r = oracle.setup(); !r) {
    spdlog::error("oracle set-up failed: {}", r.error().message);
    (*engine)->stop();
    return 1;
  }
  if (sources.empty() && max_age > 0) {
    spdlog::warn(
        "no oracle sources ([oracle] sources): derivative markets refuse new risk "
        "(STALE_ORACLE_PRICE) until prices arrive");
  }
  oracle.start();
  std::unique_ptr<Scheduler> scheduler;
  if (c.scheduler_enabled) {
    SchedulerOptions sched;
    sched.funding_sample_ms = c.funding_sample_ms;
    sched.funding_settle_ms = c.funding_settle_ms;
    sched.round = std::chrono::milliseconds(c.scheduler_round_ms);
    scheduler = std::make_unique<Scheduler>(**engine, sched, wall_ms,
                                            [](const std::string& m) { spdlog::warn("{}", m); });
    scheduler->start();
  }

  net::ServerOptions so;
  so.address = c.address;
  so.port = c.port;
  so.io_threads = c.io_threads;
  so.max_body_bytes = c.max_body_bytes;
  so.max_header_bytes = c.max_header_bytes;
  so.max_connections = c.max_connections;
  so.idle_timeout = std::chrono::milliseconds(c.idle_timeout_ms);
  so.request_timeout = std::chrono::milliseconds(c.request_timeout_ms);
  // AI requests may take long to answer (the gateway's own first-byte timeout is 100 s).
  so.handler_timeout = std::chrono::milliseconds(120'000);
  so.metrics = metrics;
  so.ws.path = "/ws";
  so.ws.idle_timeout = std::chrono::milliseconds(30'000);
  so.log = [](std::string_view m) { spdlog::warn("http: {}", m); };
  net::HttpServer server(so, api.router(), api.ws_handlers());
  // Upstream calls to provider nodes run on the server's I/O threads (no hand-off to a client
  // thread and back per request; the server shuts the client down in stop()), unless
  // gateway.client_threads asks for threads of their own.
  if (c.gateway_client_threads == 0) gateway.use_client(server.client());
  if (auto r = server.start(); !r) {
    spdlog::error("cannot listen: {}", r.error().message);
    if (demo) demo->stop();
    if (scheduler) scheduler->stop();
    oracle.stop();
    (*engine)->stop();
    return 1;
  }
  if (demo) demo->start();
  api.set_ready(true);
  spdlog::info("Cxmpute Core listening on http://{}:{} (data in {}){}", c.address, server.port(),
               c.data_dir.string(), c.demo ? "; PAPER demo markets with a live price feed" : "");
  spdlog::info("{}", mail_where);
  std::printf(
      "Cxmpute Core is up: http://%s:%u  (WebSocket ws://%s:%u/ws)\n%s\nStop with Ctrl-C.\n",
      c.address.c_str(), server.port(), c.address.c_str(), server.port(), mail_where.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: stopping", sig);
  api.set_ready(false);
  if (demo) demo->stop();
  if (scheduler) scheduler->stop();
  oracle.stop();
  server.stop();
  gateway.stop();
  (*engine)->stop();
  spdlog::info("stopped cleanly at seq {}", (*engine)->durable_seq());
  return 0;
}

}  // namespace cx::app
