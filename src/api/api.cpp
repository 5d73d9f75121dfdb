#include "api/api.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "api/http_util.hpp"
#include "auth/api_keys.hpp"
#include "auth/crypto.hpp"

namespace cx::api {

namespace json = boost::json;

namespace {

Timestamp system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool Principal::admin() const noexcept {
  return std::find(roles.begin(), roles.end(), "admin") != roles.end();
}

Api::Api(EngineService& engine, WsHub& hub, auth::Mailer& mailer,
         std::shared_ptr<net::ServerMetrics> metrics, ApiOptions options)
    : engine_(engine),
      hub_(hub),
      mailer_(mailer),
      metrics_(std::move(metrics)),
      options_(std::move(options)),
      signer_(options_.token_secret.empty() ? auth::random_bytes(32) : options_.token_secret,
              options_.access_ttl_ms),
      codes_(options_.login),
      key_limiter_(std::max<std::uint32_t>(options_.key_burst, 1), options_.key_refill_ms),
      ip_limiter_(std::max<std::uint32_t>(options_.ip_burst, 1), options_.ip_refill_ms) {
  if (!options_.clock) options_.clock = system_ms;
  readers_ =
      std::make_unique<WorkerPool>(options_.reader_threads, options_.reader_queue, "cx-reader");
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.store_connections, 1); ++i) {
    auto st = store::SqliteReadStore::open(engine_.read_store_path());
    if (!st) throw std::runtime_error("read store: " + st.error().message);
    auto slot = std::make_unique<Slot>();
    slot->store = std::move(*st);
    slots_.push_back(std::move(slot));
  }
  for (std::string& e : options_.admin_emails) {
    std::transform(e.begin(), e.end(), e.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  }
  engine_.set_apply_hook([this](SeqNo seq, std::span<const engine::ExEvent> events,
                                const engine::Exchange& x) { record_client_ids(seq, events, x); });
}

Api::~Api() {
  readers_->stop();  // its queued handlers still use the store connections and the engine
}

net::AsyncHandler Api::on_readers(net::AsyncHandler handler) {
  return [this, h = std::make_shared<const net::AsyncHandler>(std::move(handler))](
             const net::Request& req, net::Reply reply) {
    auto copy = std::make_shared<const net::Request>(req);
    const bool queued = readers_->post([h, copy, reply] {
      try {
        (*h)(*copy, reply);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "api: handler for %s threw: %s\n", copy->path.c_str(), e.what());
        reply(error_response(500, "INTERNAL", "internal error"));  // ignored if it replied
      }
    });
    if (!queued) reply(error_response(503, "UNAVAILABLE", "the server is busy; retry later"));
  };
}

net::AsyncHandler Api::on_readers(net::Handler handler) {
  return on_readers(
      [h = std::move(handler)](const net::Request& req, net::Reply reply) { reply(h(req)); });
}

Timestamp Api::now() const {
  return options_.clock();
}

Api::Slot& Api::slot() {
  // Threads spread over the connections; a busy one makes the caller wait its turn.
  const std::size_t h = std::hash<std::thread::id>{}(std::this_thread::get_id());
  return *slots_[h % slots_.size()];
}

// ---------------------------------------------------------------- idempotency

void Api::record_client_ids(SeqNo seq, std::span<const engine::ExEvent> events,
                            const engine::Exchange& x) {
  auto update = [&](OrderId id, Qty remaining, const char* closed) {
    auto k = recent_by_id_.find(id);
    if (k == recent_by_id_.end()) return;
    auto it = recent_cids_.find(k->second);
    if (it == recent_cids_.end() || it->second.order_id != id) return;
    it->second.remaining = remaining;
    if (closed != nullptr) it->second.closed = closed;
  };
  for (const engine::ExEvent& e : events) {
    using engine::EventType;
    if (e.type == EventType::Fill) {
      update(e.order_id, e.remaining, nullptr);
      update(e.maker_id, e.maker_remaining, nullptr);
    } else if (e.type == EventType::Cancelled || e.type == EventType::Expired) {
      update(e.order_id, 0, e.type == EventType::Cancelled ? "CANCELLED" : "EXPIRED");
    } else if (e.type == EventType::Amended) {
      auto k = recent_by_id_.find(e.order_id);
      if (k != recent_by_id_.end()) {
        if (auto it = recent_cids_.find(k->second); it != recent_cids_.end()) {
          it->second.qty = e.qty;
          it->second.remaining = e.remaining;
        }
      }
    }
    if (e.type != EventType::Accepted || e.cid_ref == 0) continue;
    std::string key =
        cid_key(e.trader, static_cast<engine::Mode>(e.mode), x.client_order_id(e.cid_ref));
    recent_cids_[key] = RecentOrder{e.order_id, e.market, seq, x.now(), e.qty, e.qty, {}};
    recent_by_id_[e.order_id] = key;
    recent_order_.emplace_back(seq, std::move(key));
  }
  // Orders the read store holds are found there; forget them here once projected and a minute
  // (of engine time) old: a resubmission checks the store on its I/O thread before it is queued,
  // and must still find the order here if it was projected in between.
  constexpr Timestamp kGraceMs = 60'000;
  const SeqNo projected = engine_.projected_seq();
  while (!recent_order_.empty() && recent_order_.front().first <= projected) {
    auto it = recent_cids_.find(recent_order_.front().second);
    if (it != recent_cids_.end() && it->second.seq == recent_order_.front().first) {
      if (it->second.ts + kGraceMs > x.now()) break;
      recent_by_id_.erase(it->second.order_id);
      recent_cids_.erase(it);
    }
    recent_order_.pop_front();
  }
}

std::string Api::cid_key(TraderId trader, engine::Mode mode, std::string_view cid) {
  std::string k = std::to_string(trader);
  k += mode == engine::Mode::Real ? ":R:" : ":P:";
  k += cid;
  return k;
}

// ---------------------------------------------------------------- authentication

void Api::note_key_use(const std::string& prefix, std::string_view secret) {
  // lastUsedAt is written at most once a minute per key: one store write, not one per request.
  constexpr Timestamp kEveryMs = 60'000;
  const Timestamp t = now();
  {
    std::lock_guard lk(key_use_mutex_);
    auto [it, fresh] = key_used_.try_emplace(prefix, t);
    if (!fresh && t - it->second < kEveryMs) return;
    it->second = t;
    if (key_used_.size() > 100'000) key_used_.clear();  // a bound; forgetting only costs a write
  }
  const std::string hash = auth::sha256_hex(secret);
  (void)with_store([&](store::ReadStore& st) { return st.touch_api_key(hash, t); });
}

std::optional<net::Response> Api::limited(const net::Request& req, std::string_view key) {
  const Timestamp t = now();
  std::optional<std::int64_t> wait;
  if (options_.ip_burst > 0 && !req.remote_address.empty()) {
    wait = ip_limiter_.take(req.remote_address, t);
  }
  if (!wait && options_.key_burst > 0 && !key.empty()) wait = key_limiter_.take(key, t);
  if (!wait) return std::nullopt;
  net::Response r = error_response(429, "RATE_LIMITED", "too many requests; retry later");
  r.headers.emplace_back("Retry-After",
                         std::to_string(std::max<std::int64_t>(1, (*wait + 999) / 1000)));
  return r;
}

Result<Principal> Api::session_principal(const net::Request& req) {
  std::optional<std::string_view> token;
  if (auto h = req.header("authorization"); h && h->starts_with("Bearer ")) {
    token = h->substr(7);
  } else if (auto c = cookie(req, "cx_access")) {
    token = *c;
  }
  if (!token) {
    return fail(ErrorCode::Unauthenticated,
                "credentials required: an X-Trader-Ak header or a session (log in first)");
  }
  auto claims = signer_.verify(*token, now());
  if (!claims) return std::unexpected(claims.error());
  return Principal{std::move(claims->user_id), std::move(claims->roles)};
}

Result<Principal> Api::authenticate(const net::Request& req, bool allow_trader_key) {
  if (allow_trader_key) {
    std::optional<std::string_view> secret = req.header("x-trader-ak");
    if (!secret) secret = req.query_value("traderAk");
    if (secret) {
      auto key = with_store([&](store::ReadStore& st) {
        return auth::authenticate_key(*secret, store::KeyKind::TraderAk, keys_, st);
      });
      if (!key) return std::unexpected(key.error());
      note_key_use(key->prefix, *secret);
      return Principal{std::move(key->user_id), {}};
    }
  }
  return session_principal(req);
}

Result<Principal> Api::authenticate_as(const net::Request& req, store::KeyKind kind,
                                       std::string_view header) {
  std::optional<std::string_view> secret = req.header(header);
  if (!secret) {
    if (auto h = req.header("authorization"); h && h->starts_with("Bearer cx_")) {
      secret = h->substr(7);
    }
  }
  if (secret) {
    auto key = with_store(
        [&](store::ReadStore& st) { return auth::authenticate_key(*secret, kind, keys_, st); });
    if (!key) return std::unexpected(key.error());
    note_key_use(key->prefix, *secret);
    return Principal{std::move(key->user_id), {}};
  }
  return session_principal(req);
}

// ---------------------------------------------------------------- plumbing

Result<std::optional<TraderId>> Api::trader_id_of(store::ReadStore& st, std::string_view name) {
  {
    std::shared_lock lk(trader_ids_mutex_);
    if (auto it = trader_ids_.find(name); it != trader_ids_.end()) return it->second;
  }
  auto tid = st.trader_id(name);
  if (tid && *tid) {
    std::unique_lock lk(trader_ids_mutex_);
    trader_ids_.emplace(std::string(name), **tid);
  }
  return tid;
}

void Api::submit(json::object command, net::Reply reply,
                 std::function<net::Response(CommandResult&, const engine::Exchange&)> shape,
                 EngineService::Guard guard) {
  const bool queued = engine_.submit_json(
      std::move(command),
      [reply, shape = std::move(shape)](CommandResult& r, const engine::Exchange& x) {
        if (r.error) {
          reply(error_response(*r.error));
          return;
        }
        reply(shape(r, x));
      },
      std::move(guard));
  if (!queued) reply(error_response(503, "UNAVAILABLE", "the engine is busy or stopping"));
}

net::Router Api::router() {
  net::Router r;
  r.get("/healthz",
        [](const net::Request&) { return net::Response::json(200, R"({"status":"ok"})"); });
  r.get("/readyz", [this](const net::Request&) {
    if (!ready_.load() || !engine_.running()) {
      return error_response(503, "NOT_READY", "starting or stopping");
    }
    return json_response(json::object{{"status", "ready"},
                                      {"durableSeq", engine_.durable_seq()},
                                      {"projectedSeq", engine_.projected_seq()}});
  });
  r.get("/metrics", [this](const net::Request&) {
    std::string out;
    if (metrics_) metrics_->render_prometheus(out, "cx");
    const EngineStats s = engine_.stats();
    auto counter = [&](std::string_view name, std::string_view help, std::uint64_t v,
                       std::string_view type = "counter") {
      out += "# HELP cx_";
      out += name;
      out += ' ';
      out += help;
      out += "\n# TYPE cx_";
      out += name;
      out += ' ';
      out += type;
      out += "\ncx_";
      out += name;
      out += ' ';
      out += std::to_string(v);
      out += '\n';
    };
    counter("engine_commands_total", "Commands sequenced, journaled and applied.", s.commands);
    counter("engine_batches_total", "Group commits.", s.batches);
    counter("engine_refused_total", "Requests refused (queue full or stopping).", s.refused);
    counter("orders_accepted_total", "Orders accepted by the engine.", s.orders_placed);
    counter("trades_total", "Fills.", s.fills);
    counter("journal_fsync_total", "Journal fdatasync calls.", s.fsync_count);
    counter("journal_fsync_microseconds_total", "Time spent in journal fdatasync.",
            s.fsync_us_total);
    counter("journal_fsync_microseconds_max", "Longest journal fdatasync.", s.fsync_us_max,
            "gauge");
    counter("engine_durable_seq", "Last durable command.", s.durable_seq, "gauge");
    counter("store_projected_seq", "Last command in the read store.", s.projected_seq, "gauge");
    counter("engine_projector_waits_total",
            "Times the engine waited for a read store that had fallen behind.", s.projector_waits);
    net::Response resp = net::Response::text(200, std::move(out));
    resp.content_type = "text/plain; version=0.0.4";
    return resp;
  });
  add_public_routes(r);
  add_trading_routes(r);
  add_user_routes(r);
  add_admin_routes(r);
  if (gateway_ != nullptr) add_ai_routes(r);
  return r;
}

net::WsHandlers Api::ws_handlers() {
  net::WsHandlers h;
  h.accept = [this](const net::Request& req) {
    auto who = std::make_shared<WsPrincipal>();
    const bool has_key =
        req.query_value("traderAk").has_value() || req.header("x-trader-ak").has_value();
    const bool has_session =
        req.header("authorization").has_value() || cookie(req, "cx_access").has_value();
    if (has_key || has_session) {
      auto p = authenticate(req, true);
      if (!p) return net::WsAcceptResult::refuse(error_response(p.error()));
      who->user_id = p->user_id;
      who->admin = p->admin();
    }
    return net::WsAcceptResult::accept(who);
  };
  h.on_text = [this](const net::WsSessionPtr& s, std::string_view text) {
    hub_.handle_message(s, text);
  };
  h.on_close = [this](const net::WsSessionPtr& s, const net::WsCloseInfo&) {
    hub_.forget(s->id());
  };
  return h;
}

}  // namespace cx::api
