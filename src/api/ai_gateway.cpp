#include "api/ai_gateway.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <optional>
#include <stdexcept>

#include "api/http_util.hpp"
#include "auth/crypto.hpp"
#include "core/decimal.hpp"
#include "core/thread.hpp"

namespace cx::api {

namespace json = boost::json;
using gateway::Service;
using Clock = std::chrono::steady_clock;

net::Response openai_error(unsigned status, std::string_view message, std::string_view type,
                           std::string_view code, std::string_view param) {
  json::object e{{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
  if (!param.empty()) e["param"] = param;
  net::Response r = net::Response::json(status, json::serialize(json::object{{"error", e}}));
  return r;
}

namespace {

constexpr int kCreditScale = 6;

std::string credits_text(std::int64_t micro) {
  return format_decimal(micro, kCreditScale);
}

/// The node protocol's path for a service.
std::string_view node_path(Service s) {
  switch (s) {
    case Service::Chat:
      return "/v1/chat/completions";
    case Service::Embeddings:
      return "/v1/embeddings";
    case Service::Image:
      return "/v1/image";
    case Service::Video:
      return "/v1/video";
    case Service::Tts:
      return "/v1/tts";
    case Service::Scrape:
      return "/v1/scrape";
    case Service::Caption:
      return "/v1/m/caption";
    case Service::Detect:
      return "/v1/m/detect";
    case Service::Point:
      return "/v1/m/point";
    case Service::Query:
      return "/v1/m/query";
  }
  return "/";
}

std::int64_t int_field(const json::object& o, std::string_view key, std::int64_t fallback) {
  if (const auto* v = o.if_contains(key)) {
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64())
      return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), INT64_MAX));
  }
  return fallback;
}

/// "input_tokens=3,output_tokens=5,images=1,media_ms=1200,requests=1" -> Usage.
std::optional<gateway::Usage> parse_usage_header(std::string_view h) {
  gateway::Usage u;
  bool any = false;
  while (!h.empty()) {
    const auto comma = h.find(',');
    const auto item = h.substr(0, comma);
    h = comma == std::string_view::npos ? std::string_view{} : h.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    auto v = parse_decimal(item.substr(eq + 1), 0, Sign::NonNegative);
    if (!v) continue;
    const auto k = item.substr(0, eq);
    if (k == "input_tokens")
      u.input_tokens = *v;
    else if (k == "output_tokens")
      u.output_tokens = *v;
    else if (k == "images")
      u.images = *v;
    else if (k == "media_ms")
      u.media_ms = *v;
    else if (k == "requests")
      u.requests = *v;
    else
      continue;
    any = true;
  }
  if (!any) return std::nullopt;
  return u;
}

/// OpenAI's usage object -> Usage.
std::optional<gateway::Usage> parse_usage_object(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  gateway::Usage u;
  u.input_tokens = std::max<std::int64_t>(0, int_field(o, "prompt_tokens", 0));
  u.output_tokens = std::max<std::int64_t>(0, int_field(o, "completion_tokens", 0));
  return u;
}

std::string find_header(const net::Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (net::iequals(k, name)) return v;
  }
  return {};
}

}  // namespace

/// One user request on its way through the gateway.
struct AiGateway::Call {
  Service service = Service::Chat;
  std::string model;
  std::string user;
  std::string request_id;
  std::string body;  ///< what goes to the node
  std::optional<gateway::Price> price;
  bool stream = false;
  bool client_wants_usage = false;
  gateway::Usage estimate;  ///< what was reserved for; the fallback meter
  std::optional<gateway::Hold> hold;
  std::optional<gateway::Lease> lease;
  std::string tried;  ///< the node of the first attempt
  int attempts = 0;
  net::Reply reply;
  Clock::time_point started = Clock::now();
  Clock::time_point attempt_started;

  // streaming
  std::mutex mutex;  ///< the writer's close callback vs the client's callbacks
  std::optional<net::StreamWriter> writer;
  std::shared_ptr<net::ClientStream> upstream;
  net::Response head;
  std::string pending;     ///< bytes of an incomplete server-sent event
  std::string error_body;  ///< a non-200 answer's body
  std::int64_t content_events = 0;
  std::optional<gateway::Usage> usage;
  bool done_marker = false;
  bool client_gone = false;
  bool metered = false;

  explicit Call(net::Reply r) : reply(std::move(r)) {}
};

AiGateway::AiGateway(AiGatewayOptions options)
    : options_(std::move(options)),
      registry_(options_.registry, options_.clock ? gateway::Clock(options_.clock)
                                                  : gateway::Clock(gateway::system_now_ms)),
      ledger_(options_.ledger),
      queue_(65'536),
      client_(std::make_shared<net::HttpClient>([&] {
        net::ClientOptions co;
        co.threads = options_.client_threads;
        return co;
      }())) {
  for (const auto& row : options_.prices) prices_.set(row.service, row.model, row.price);
  if (options_.db_path.empty()) return;
  auto st = GatewayStore::open(options_.db_path);
  if (!st) throw std::runtime_error("gateway store: " + st.error().message);
  store_ = std::make_unique<GatewayStore>(std::move(*st));
  auto rows = store_->accounts();
  if (!rows) throw std::runtime_error("gateway store: " + rows.error().message);
  if (!rows->empty()) {
    auto restored = gateway::Ledger::restore(options_.ledger, *rows);
    if (!restored) {
      throw std::runtime_error("gateway ledger in " + options_.db_path.string() + ": " +
                               restored.error().message);
    }
    ledger_ = std::move(*restored);
  }
  const std::int64_t since = now() - options_.history_days * 86'400'000;
  auto history = store_->usage_since(since);
  if (!history) throw std::runtime_error("gateway store: " + history.error().message);
  stats_.add(*history);
}

AiGateway::~AiGateway() {
  stop();
}

std::int64_t AiGateway::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AiGateway::use_client(std::shared_ptr<net::HttpClient> client) {
  if (client) client_ = std::move(client);
}

void AiGateway::start() {
  std::lock_guard lk(run_mutex_);
  if (running_) return;
  running_ = true;
  housekeeper_ = std::thread([this] {
    // Its SQLite batch every 200 ms must not preempt the request path (gateway.overhead p99).
    name_this_thread("cx-gw-house");
    make_this_thread_background();
    housekeeping();
  });
}

void AiGateway::stop() {
  {
    std::lock_guard lk(run_mutex_);
    if (!running_) return;
    running_ = false;
  }
  run_cv_.notify_all();
  if (housekeeper_.joinable()) housekeeper_.join();
}

void AiGateway::housekeeping() {
  // One round every kHousekeepingPeriod, never sooner: the queue's drain() could wake at each
  // push, which at thousands of requests a second meant a wake-up, a statistics update and a
  // SQLite transaction per request or two, competing with the request path for the cores.
  constexpr auto kHousekeepingPeriod = std::chrono::milliseconds(200);
  std::unique_lock lk(run_mutex_);
  while (running_) {
    lk.unlock();
    registry_.tick();
    auto records = queue_.drain(1 << 16, std::chrono::milliseconds(0));
    if (!records.empty()) stats_.add(records);
    persist(records);
    lk.lock();
    run_cv_.wait_for(lk, kHousekeepingPeriod, [this] { return !running_; });
  }
  lk.unlock();
  auto rest = queue_.drain(1 << 20, std::chrono::milliseconds(0));
  stats_.add(rest);
  persist(rest);
}

void AiGateway::persist(std::vector<gateway::UsageRecord>& records) {
  // Only the accounts that changed: a save costs what moved, not every account there is.
  std::vector<gateway::AccountRow> rows = ledger_.take_changed_rows();
  if (!store_) return;
  if (!unsaved_.empty()) {
    // Rows of a failed save, unless this snapshot has a newer row of the same account.
    auto same = [](const gateway::AccountRow& a, const gateway::AccountRow& b) {
      return a.kind == b.kind && a.id == b.id;
    };
    for (gateway::AccountRow& old : unsaved_) {
      if (std::none_of(rows.begin(), rows.end(), [&](const auto& r) { return same(r, old); }))
        rows.push_back(std::move(old));
    }
    unsaved_.clear();
  }
  if (records.empty() && rows.empty()) return;
  if (auto r = store_->save(rows, records); !r) {
    // Kept in memory; the next save writes them (records are lost from the history, never
    // from the balances).
    ++save_errors_;
    unsaved_ = std::move(rows);
  }
}

std::string AiGateway::secret_of(std::string_view node_id) const {
  std::shared_lock lk(secrets_mutex_);
  auto it = secrets_.find(std::string(node_id));
  return it == secrets_.end() ? std::string() : it->second;
}

// ------------------------------------------------------------------ serving

void AiGateway::serve(Service service, std::string user_id, const net::Request& req,
                      net::Reply reply) {
  ++requests_;
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) {
    return reply(openai_error(400, "the request body must be a JSON object",
                              "invalid_request_error", "invalid_json"));
  }
  json::object& o = v.get_object();
  auto call = std::make_shared<Call>(std::move(reply));
  call->service = service;
  call->user = std::move(user_id);
  call->request_id = req.request_id;
  if (const auto* m = o.if_contains("model"); m != nullptr) {
    if (!m->is_string()) {
      return call->reply(openai_error(400, "'model' must be a string", "invalid_request_error",
                                      "invalid_value", "model"));
    }
    call->model = m->get_string();
  }
  if (call->model.empty() && (service == Service::Chat || service == Service::Embeddings)) {
    return call->reply(openai_error(400, "'model' is required", "invalid_request_error",
                                    "missing_required_parameter", "model"));
  }

  // What the request may cost at most: reserved before forwarding.
  gateway::Usage& est = call->estimate;
  switch (service) {
    case Service::Chat: {
      const auto* msgs = o.if_contains("messages");
      if (msgs == nullptr || !msgs->is_array() || msgs->get_array().empty()) {
        return call->reply(openai_error(400, "'messages' must be a non-empty array",
                                        "invalid_request_error", "invalid_value", "messages"));
      }
      est.input_tokens = gateway::estimate_tokens(req.body);
      std::int64_t max_out = options_.default_max_tokens;
      for (const char* key : {"max_completion_tokens", "max_tokens"}) {
        if (const auto* mt = o.if_contains(key); mt != nullptr && !mt->is_null()) {
          if (!mt->is_int64() || mt->get_int64() < 1) {
            return call->reply(openai_error(400,
                                            std::string("'") + key + "' must be a positive integer",
                                            "invalid_request_error", "invalid_value", key));
          }
          max_out = mt->get_int64();
          break;
        }
      }
      est.output_tokens = max_out;
      if (const auto* s = o.if_contains("stream"); s != nullptr && s->is_bool() && s->get_bool()) {
        call->stream = true;
        json::object* so = nullptr;
        if (auto* existing = o.if_contains("stream_options"); existing && existing->is_object()) {
          so = &existing->get_object();
          if (const auto* iu = so->if_contains("include_usage"); iu && iu->is_bool()) {
            call->client_wants_usage = iu->get_bool();
          }
        } else {
          o["stream_options"] = json::object{};
          so = &o["stream_options"].get_object();
        }
        (*so)["include_usage"] = true;  // the gateway meters from the final usage chunk
        call->body = json::serialize(v);
      }
      break;
    }
    case Service::Embeddings:
      if (const auto* in = o.if_contains("input"); in == nullptr || in->is_null()) {
        return call->reply(openai_error(400, "'input' is required", "invalid_request_error",
                                        "missing_required_parameter", "input"));
      }
      est.input_tokens = gateway::estimate_tokens(req.body);
      break;
    case Service::Image:
      est.images = std::clamp<std::int64_t>(int_field(o, "n", 1), 1, 10);
      break;
    case Service::Video:
      est.media_ms = 1000 * std::clamp<std::int64_t>(int_field(o, "seconds", 2), 1, 600);
      break;
    case Service::Tts: {
      std::int64_t chars = 0;
      if (const auto* in = o.if_contains("input"); in && in->is_string()) {
        chars = static_cast<std::int64_t>(in->get_string().size());
      }
      est.media_ms = std::clamp<std::int64_t>(chars * 100, 1'000, 600'000);
      break;
    }
    default:
      est.requests = 1;
      break;
  }
  if (call->body.empty()) call->body = req.body;

  if (call->model.empty()) {
    // Services where a model is optional: the first model a healthy node serves.
    for (const auto& m : registry_.models()) {
      if (m.service == service) {
        call->model = m.model;
        break;
      }
    }
  }
  call->price = prices_.find(service, call->model);
  if (!call->price) {
    return call->reply(openai_error(404,
                                    "no price is configured for " +
                                        std::string(to_string(service)) + " model '" + call->model +
                                        "'",
                                    "invalid_request_error", "model_not_found", "model"));
  }
  if (!ledger_.has_user(call->user)) {
    ledger_.open(call->user);
  }
  auto max_cost = gateway::PriceTable::cost(*call->price, est);
  if (!max_cost) {
    return call->reply(openai_error(
        400, "the request could cost more than any balance: " + max_cost.error().message,
        "invalid_request_error", "invalid_value"));
  }
  auto hold = ledger_.reserve(call->user, *max_cost);
  if (!hold) {
    net::Response r =
        openai_error(402, hold.error().message, "insufficient_quota", "insufficient_quota");
    r.headers.emplace_back("x-should-retry", "false");
    return call->reply(std::move(r));
  }
  call->hold.emplace(std::move(*hold));
  attempt(call);
}

void AiGateway::attempt(const std::shared_ptr<Call>& call) {
  call->lease = registry_.pick(call->service, call->model, call->tried);
  if (!call->lease) {
    call->hold.reset();  // releases the reservation
    if (call->attempts == 0) {
      return call->reply(openai_error(
          503,
          "no healthy node serves " + std::string(to_string(call->service)) +
              (call->model.empty() ? std::string() : " model '" + call->model + "'") + " right now",
          "server_error", "no_healthy_node"));
    }
    return call->reply(openai_error(502, "the node failed and no other node could take the request",
                                    "server_error", "upstream_failed"));
  }
  ++call->attempts;
  call->tried = std::string(call->lease->node_id());
  call->attempt_started = Clock::now();
  if (call->stream) {
    forward_streamed(call);
  } else {
    forward_buffered(call);
  }
}

void AiGateway::retry_or_fail(const std::shared_ptr<Call>& call, net::Response fallback) {
  call->lease->failed();
  call->lease.reset();
  if (call->attempts < 2) return attempt(call);
  call->hold.reset();
  call->reply(std::move(fallback));
}

namespace {

net::ClientRequest node_request(std::string_view endpoint, Service s, std::string_view secret,
                                const std::string& request_id, std::string body,
                                std::int64_t timeout_ms) {
  net::ClientRequest rq;
  rq.method = net::Method::Post;
  rq.url = std::string(endpoint);
  rq.url += node_path(s);
  rq.headers.emplace_back("content-type", "application/json");
  std::string auth = "Bearer ";
  auth += secret;
  rq.headers.emplace_back("authorization", std::move(auth));
  if (!request_id.empty()) rq.headers.emplace_back("x-request-id", request_id);
  rq.body = std::move(body);
  rq.timeout = std::chrono::milliseconds(timeout_ms);
  return rq;
}

std::int64_t micros_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count();
}

}  // namespace

void AiGateway::forward_buffered(const std::shared_ptr<Call>& call) {
  const auto& lease = *call->lease;
  auto rq = node_request(lease.endpoint(), call->service, secret_of(lease.node_id()),
                         call->request_id, call->body, options_.first_byte_timeout_ms);
  client_->request(std::move(rq), [this, call](net::ClientResult r) {
    if (!r.ok()) {
      return retry_or_fail(call, openai_error(502, "the node failed: " + r.error.message,
                                              "server_error", "upstream_failed"));
    }
    if (r.status >= 500) {
      return retry_or_fail(call,
                           openai_error(502, "the node answered HTTP " + std::to_string(r.status),
                                        "server_error", "upstream_failed"));
    }
    call->lease->succeeded(micros_since(call->attempt_started));
    net::Response out;
    out.status = r.status;
    out.content_type = find_header(r.headers, "content-type");
    if (out.content_type.empty()) out.content_type = "application/json";
    if (r.status != 200) {
      // The node refused the input: the user pays nothing.
      call->hold.reset();
      out.body = std::move(r.body);
      meter(*call, gateway::Usage{}, r.status, false);
      return call->reply(std::move(out));
    }
    std::optional<gateway::Usage> usage;
    if (call->service == Service::Chat || call->service == Service::Embeddings) {
      boost::system::error_code ec;
      auto v = json::parse(r.body, ec);
      if (!ec && v.is_object()) {
        if (const auto* u = v.get_object().if_contains("usage")) usage = parse_usage_object(*u);
      }
    }
    if (!usage) usage = parse_usage_header(find_header(r.headers, "x-cx-usage"));
    if (!usage) {
      // Counted by the gateway itself, so that no request is free by accident.
      usage = call->estimate;
      if (call->service == Service::Chat) usage->output_tokens = gateway::estimate_tokens(r.body);
    }
    meter(*call, *usage, 200, false);
    out.body = std::move(r.body);
    call->reply(std::move(out));
  });
}

void AiGateway::forward_streamed(const std::shared_ptr<Call>& call) {
  // Locking: call->mutex guards the call's streaming state only; no StreamWriter or
  // ClientStream member is ever called with it held (their callbacks may run synchronously).
  const auto& lease = *call->lease;
  auto rq = node_request(lease.endpoint(), call->service, secret_of(lease.node_id()),
                         call->request_id, call->body, options_.first_byte_timeout_ms);
  {
    std::lock_guard lk(call->mutex);
    call->pending.clear();
    call->error_body.clear();
    call->head = net::Response{};
  }
  net::StreamCallbacks cb;
  cb.on_head = [call](unsigned status, const net::Fields& headers) {
    net::StreamWriter w;
    {
      std::lock_guard lk(call->mutex);
      call->head.status = status;
      call->head.content_type = find_header(headers, "content-type");
      if (status != 200) return;
      net::Response head;
      head.content_type = "text/event-stream";
      head.headers.emplace_back("cache-control", "no-cache");
      w = call->reply.stream(std::move(head));
      call->writer = w;
    }
    std::weak_ptr<Call> weak = call;
    w.on_close([weak] {
      auto c = weak.lock();
      if (!c) return;
      std::shared_ptr<net::ClientStream> up;
      {
        std::lock_guard lk(c->mutex);
        if (c->done_marker) return;
        c->client_gone = true;
        up = c->upstream;
      }
      if (up) up->cancel();
    });
  };
  cb.on_data = [call](std::string_view data) {
    std::string out;
    net::StreamWriter w;
    {
      std::lock_guard lk(call->mutex);
      if (!call->writer) {
        if (call->error_body.size() < 64 * 1024) call->error_body.append(data);
        return;
      }
      w = *call->writer;
      call->pending.append(data);
      std::size_t start = 0;
      for (;;) {
        const auto end = call->pending.find("\n\n", start);
        if (end == std::string::npos) break;
        std::string_view event(call->pending.data() + start, end + 2 - start);
        start = end + 2;
        if (event.starts_with("data: [DONE]")) {
          call->done_marker = true;
          out.append(event);
          continue;
        }
        if (event.find("\"usage\":{") != std::string_view::npos) {
          boost::system::error_code ec;
          auto payload = event.substr(event.find(':') + 1);
          auto v = json::parse(payload, ec);
          if (!ec && v.is_object()) {
            const auto& o = v.get_object();
            if (const auto* u = o.if_contains("usage")) call->usage = parse_usage_object(*u);
            const auto* ch = o.if_contains("choices");
            const bool usage_only = ch != nullptr && ch->is_array() && ch->get_array().empty();
            if (usage_only && !call->client_wants_usage) continue;  // the gateway asked for it
          }
        } else if (event.find("\"content\":\"") != std::string_view::npos ||
                   event.find("\"arguments\":\"") != std::string_view::npos) {
          ++call->content_events;
        }
        out.append(event);
      }
      call->pending.erase(0, start);
    }
    if (!out.empty()) w.write(std::move(out));
  };
  cb.on_done = [this, call](const net::ClientError& e) {
    std::unique_lock lk(call->mutex);
    call->upstream.reset();
    if (!call->writer) {
      // Nothing reached the user yet.
      const unsigned status = call->head.status;
      std::string body = std::move(call->error_body);
      const std::string content_type = call->head.content_type;
      lk.unlock();
      if (!e.ok() || status >= 500 || status == 0) {
        return retry_or_fail(
            call, openai_error(502,
                               !e.ok() ? "the node failed: " + e.message
                                       : "the node answered HTTP " + std::to_string(status),
                               "server_error", "upstream_failed"));
      }
      call->lease->succeeded(micros_since(call->attempt_started));
      call->hold.reset();
      meter(*call, gateway::Usage{}, status, false);
      net::Response out;
      out.status = status;
      out.content_type = content_type.empty() ? "application/json" : content_type;
      out.body = std::move(body);
      return call->reply(std::move(out));
    }
    net::StreamWriter w = *call->writer;
    const bool complete = call->done_marker && e.ok();
    const bool client_gone = call->client_gone;
    gateway::Usage u;
    if (complete && call->usage) {
      u = *call->usage;
    } else {
      // Cut short: counted by the gateway (input estimated, one token per content event).
      u.input_tokens = call->usage ? call->usage->input_tokens : call->estimate.input_tokens;
      u.output_tokens = call->usage ? std::max(call->usage->output_tokens, call->content_events)
                                    : call->content_events;
    }
    lk.unlock();
    if (complete) {
      call->lease->succeeded(micros_since(call->attempt_started));
    } else if (!client_gone) {
      call->lease->failed();
      w.write(
          "data: "
          R"({"error":{"message":"the node stopped before the answer was complete","type":"server_error","param":null,"code":"stream_interrupted"}})"
          "\n\n");
    }
    w.finish();
    meter(*call, u, 200, !complete);
  };
  auto up = client_->stream(std::move(rq), std::move(cb));
  std::lock_guard lk(call->mutex);
  call->upstream = std::move(up);
}

void AiGateway::meter(Call& call, const gateway::Usage& usage, unsigned status, bool cut_short) {
  if (call.metered) return;
  call.metered = true;
  gateway::UsageRecord rec;
  rec.request_id = call.request_id;
  rec.user_id = call.user;
  rec.service = call.service;
  rec.model = call.model;
  rec.usage = usage;
  rec.status = static_cast<int>(status);
  rec.cut_short = cut_short;
  rec.ts_ms = now();
  rec.latency_us = micros_since(call.started);
  if (call.lease) {
    rec.node_id = std::string(call.lease->node_id());
    rec.provider_id = std::string(call.lease->provider_id());
  }
  if (call.hold && status == 200 && call.price) {
    // An overflowing cost (absurd usage reported) charges everything held and more.
    const std::int64_t cost = gateway::PriceTable::cost(*call.price, usage).value_or(INT64_MAX / 4);
    auto s = ledger_.settle(std::move(*call.hold), cost, rec.provider_id);
    call.hold.reset();
    rec.cost = s.debited;
    rec.provider_share = s.provider_share;
    rec.platform_fee = s.platform_fee;
  }
  queue_.push(std::move(rec));
}

net::Response AiGateway::models() const {
  json::array data;
  std::string last;
  for (const auto& m : registry_.models()) {
    if (m.model.empty()) continue;
    json::object e{{"id", m.model},
                   {"object", "model"},
                   {"created", 0},
                   {"owned_by", "cxmpute"},
                   {"service", to_string(m.service)},
                   {"nodes", m.node_count}};
    data.push_back(std::move(e));
  }
  return net::Response::json(200,
                             json::serialize(json::object{{"object", "list"}, {"data", data}}));
}

// ------------------------------------------------------------------ providers

namespace {

/// "HEALTHY", "SUSPENDED", ... (the API's spelling of a node state).
std::string state_name(gateway::NodeState st) {
  std::string out(to_string(st));
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

json::object node_json(const gateway::NodeView& n) {
  json::array offers;
  for (const auto& o : n.offers) {
    offers.push_back(json::object{{"service", to_string(o.service)}, {"model", o.model}});
  }
  boost::system::error_code ec;
  json::value hw = json::parse(n.hardware_json, ec);
  if (ec) hw = n.hardware_json;
  return json::object{{"nodeId", n.id},
                      {"providerId", n.provider_id},
                      {"endpoint", n.endpoint},
                      {"offers", std::move(offers)},
                      {"hardware", std::move(hw)},
                      {"region", n.region},
                      {"state", state_name(n.state)},
                      {"penaltyLevel", n.penalty_level},
                      {"suspendedUntil", n.suspended_until_ms},
                      {"lastSeen", n.last_seen_ms},
                      {"inFlight", n.in_flight},
                      {"latencyUs", n.ewma_latency_us},
                      {"served", n.served},
                      {"failed", n.failed},
                      {"registeredAt", n.registered_at_ms},
                      {"reason", n.reason}};
}

}  // namespace

void AiGateway::register_node(std::string provider_id, const net::Request& req, net::Reply reply) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) {
    return reply(error_response(400, "MALFORMED", "the body must be a JSON object"));
  }
  const auto& o = v.get_object();
  gateway::NodeSpec spec;
  spec.provider_id = provider_id;
  auto text = [&](std::string_view key) -> std::string {
    if (const auto* x = o.if_contains(key); x && x->is_string())
      return std::string(x->get_string());
    return {};
  };
  spec.endpoint = text("endpoint");
  while (spec.endpoint.ends_with('/')) spec.endpoint.pop_back();
  spec.region = text("region");
  if (const auto* hw = o.if_contains("hardware")) spec.hardware_json = json::serialize(*hw);
  std::string secret = text("secret");
  if (secret.size() < 16 || secret.size() > 256) {
    return reply(error_response(400, "INVALID_ARGUMENT",
                                "'secret' (16 to 256 characters) is required: the gateway sends it "
                                "to the node as its bearer token"));
  }
  const auto* offers = o.if_contains("offers");
  if (offers == nullptr || !offers->is_array()) {
    return reply(error_response(400, "INVALID_ARGUMENT", "'offers' must be an array"));
  }
  for (const auto& x : offers->get_array()) {
    if (!x.is_object())
      return reply(error_response(400, "INVALID_ARGUMENT", "each offer is an object"));
    const auto& xo = x.get_object();
    const auto* s = xo.if_contains("service");
    std::optional<Service> service;
    if (s != nullptr && s->is_string()) service = gateway::service_from_string(s->get_string());
    if (!service) {
      return reply(error_response(400, "INVALID_ARGUMENT",
                                  "unknown service in offers (chat, embeddings, image, video, tts, "
                                  "scrape, caption, detect, point, query)"));
    }
    std::string model;
    if (const auto* m = xo.if_contains("model"); m && m->is_string()) model = m->get_string();
    spec.offers.push_back(gateway::Offer{*service, std::move(model)});
  }
  auto id = registry_.add(spec);
  if (!id) return reply(error_response(id.error()));
  {
    std::unique_lock lk(secrets_mutex_);
    secrets_[*id] = secret;
  }
  // Verification: call the node back and expect our nonce and its offers.
  const std::string nonce = auth::random_token(16);
  net::ClientRequest rq;
  rq.method = net::Method::Get;
  rq.url = spec.endpoint + "/health";
  rq.headers.emplace_back("authorization", "Bearer " + secret);
  rq.headers.emplace_back("x-cx-nonce", nonce);
  rq.timeout = std::chrono::milliseconds(options_.verify_timeout_ms);
  const std::string node_id = *id;
  client_->request(
      std::move(rq), [this, node_id, provider_id, nonce, spec, reply](net::ClientResult r) {
        std::string why;
        if (!r.ok()) {
          why = "the node did not answer GET " + spec.endpoint + "/health: " + r.error.message;
        } else if (r.status != 200) {
          why = "GET " + spec.endpoint + "/health answered HTTP " + std::to_string(r.status);
        } else {
          boost::system::error_code ec2;
          auto hv = json::parse(r.body, ec2);
          const json::object* ho = (!ec2 && hv.is_object()) ? &hv.get_object() : nullptr;
          const json::value* n = ho ? ho->if_contains("nonce") : nullptr;
          if (n == nullptr || !n->is_string() || n->get_string() != nonce) {
            why = "the node's /health did not echo the verification nonce";
          }
        }
        if (!why.empty()) {
          (void)registry_.leave(node_id, provider_id);
          {
            std::unique_lock lk(secrets_mutex_);
            secrets_.erase(node_id);
          }
          return reply(error_response(422, "VERIFICATION_FAILED", why));
        }
        (void)registry_.verified(node_id);
        json::object out{{"nodeId", node_id},
                         {"state", "HEALTHY"},
                         {"heartbeatIntervalMs", options_.registry.heartbeat_interval_ms}};
        if (auto view = registry_.node(node_id)) out["node"] = node_json(*view);
        reply(net::Response::json(201, json::serialize(out)));
      });
}

net::Response AiGateway::heartbeat(std::string_view provider_id, std::string_view node_id,
                                   const net::Request& req) {
  gateway::HeartbeatInfo info;
  boost::system::error_code ec;
  if (!req.body.empty()) {
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object())
      return error_response(400, "MALFORMED", "the body must be a JSON object");
    info.in_flight = int_field(v.get_object(), "inFlight", 0);
  }
  auto r = registry_.heartbeat(node_id, provider_id, info);
  if (!r) {
    return error_response(r.error());
  }
  auto view = registry_.node(node_id);
  json::object out{{"nodeId", node_id},
                   {"state", view ? state_name(view->state) : std::string("UNKNOWN")},
                   {"heartbeatIntervalMs", options_.registry.heartbeat_interval_ms}};
  return net::Response::json(200, json::serialize(out));
}

net::Response AiGateway::leave(std::string_view provider_id, std::string_view node_id) {
  auto r = registry_.leave(node_id, provider_id);
  if (!r) {
    return error_response(r.error());
  }
  {
    std::unique_lock lk(secrets_mutex_);
    secrets_.erase(std::string(node_id));
  }
  return net::Response::json(200,
                             json::serialize(json::object{{"nodeId", node_id}, {"state", "LEFT"}}));
}

net::Response AiGateway::nodes_of(std::string_view provider_id) const {
  json::array a;
  for (const auto& n : registry_.nodes_of(provider_id)) a.push_back(node_json(n));
  return net::Response::json(200, json::serialize(json::object{{"nodes", std::move(a)}}));
}

net::Response AiGateway::earnings(std::string_view provider_id) const {
  const std::int64_t e = ledger_.earnings(provider_id);
  const std::int64_t today = gateway::day_of(now());
  json::array days;
  for (const auto& d : stats_.provider_days(provider_id, today - 90, today)) {
    days.push_back(json::object{{"day", gateway::format_day(d.day)},
                                {"requests", d.counters.requests},
                                {"errors", d.counters.errors},
                                {"inputTokens", d.counters.input_tokens},
                                {"outputTokens", d.counters.output_tokens},
                                {"earnings", credits_text(d.counters.provider_share)}});
  }
  return net::Response::json(200, json::serialize(json::object{{"providerId", provider_id},
                                                               {"earnings", credits_text(e)},
                                                               {"earningsMicro", e},
                                                               {"days", std::move(days)}}));
}

net::Response AiGateway::credits(std::string_view user_id) {
  if (!ledger_.has_user(user_id)) {
    ledger_.open(user_id);
  }
  const std::int64_t a = ledger_.available(user_id);
  const std::int64_t h = ledger_.held(user_id);
  return net::Response::json(200, json::serialize(json::object{{"userId", user_id},
                                                               {"available", credits_text(a)},
                                                               {"held", credits_text(h)},
                                                               {"availableMicro", a},
                                                               {"heldMicro", h}}));
}

net::Response AiGateway::usage(std::string_view user_id) const {
  const std::int64_t today = gateway::day_of(now());
  json::array days;
  for (const auto& d : stats_.user_days(user_id, today - 90, today)) {
    const auto& c = d.counters;
    days.push_back(
        json::object{{"day", gateway::format_day(d.day)},
                     {"requests", c.requests},
                     {"errors", c.errors},
                     {"cutShort", c.cut_short},
                     {"inputTokens", c.input_tokens},
                     {"outputTokens", c.output_tokens},
                     {"images", c.images},
                     {"mediaMs", c.media_ms},
                     {"cost", credits_text(c.cost)},
                     {"latencyMsAvg", c.requests > 0 ? static_cast<double>(c.latency_sum_us) /
                                                           1000.0 / static_cast<double>(c.requests)
                                                     : 0.0},
                     {"latencyMsMax", static_cast<double>(c.latency_max_us) / 1000.0}});
  }
  return net::Response::json(
      200, json::serialize(json::object{{"userId", user_id}, {"days", std::move(days)}}));
}

net::Response AiGateway::grant(const net::Request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object())
    return error_response(400, "MALFORMED", "the body must be a JSON object");
  const auto& o = v.get_object();
  const auto* user = o.if_contains("userId");
  const auto* amount = o.if_contains("amount");
  if (user == nullptr || !user->is_string() || user->get_string().empty()) {
    return error_response(400, "INVALID_ARGUMENT", "'userId' is required");
  }
  if (amount == nullptr || !amount->is_string()) {
    return error_response(400, "INVALID_ARGUMENT", "'amount' must be a decimal string of credits");
  }
  auto micro = parse_decimal(amount->get_string(), kCreditScale, Sign::PositiveOnly);
  if (!micro) return error_response(400, "INVALID_ARGUMENT", "amount: " + micro.error().message);
  const std::string uid(user->get_string());
  ledger_.open(uid);
  if (auto g = ledger_.grant(uid, *micro); !g) {
    return error_response(g.error());
  }
  return credits(uid);
}

net::Response AiGateway::overview() const {
  const auto t = ledger_.totals();
  json::array nodes;
  for (const auto& n : registry_.all()) nodes.push_back(node_json(n));
  const bool ok = ledger_.audit().has_value();
  return net::Response::json(
      200, json::serialize(json::object{{"requests", requests_.load()},
                                        {"granted", credits_text(t.granted)},
                                        {"available", credits_text(t.available)},
                                        {"held", credits_text(t.held)},
                                        {"providerEarnings", credits_text(t.earnings)},
                                        {"platformFees", credits_text(t.platform_fees)},
                                        {"conserved", ok},
                                        {"nodes", std::move(nodes)}}));
}

}  // namespace cx::api
