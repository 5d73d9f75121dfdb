#include "app/node_cmd.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "app/stop_signals.hpp"
#include "app/synthetic.hpp"
#include "auth/crypto.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"

namespace cx::app {

namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct NodeConfig {
  std::string gateway = "http://127.0.0.1:8080";
  std::string provider_ak;
  std::string listen = "127.0.0.1";
  std::uint16_t port = 0;
  std::string advertise;  ///< the URL the gateway calls; default http://<listen>:<port>
  std::string backend = "synthetic";
  std::vector<std::string> models;  ///< "service=model" for a forwarding backend
  std::string region = "local";
  std::string hardware = R"({"kind":"synthetic"})";
  std::int64_t heartbeat_ms = 5'000;
  unsigned io_threads = 2;
  std::string log_level = "info";
};

struct Offer {
  std::string service;
  std::string model;
};

/// A synchronous call through the asynchronous client (control traffic only).
net::ClientResult call(net::HttpClient& client, net::Method method, std::string url,
                       std::string_view token, std::string body) {
  net::ClientRequest rq;
  rq.method = method;
  rq.url = std::move(url);
  rq.headers.emplace_back("authorization", "Bearer " + std::string(token));
  if (!body.empty()) rq.headers.emplace_back("content-type", "application/json");
  rq.body = std::move(body);
  rq.timeout = milliseconds(10'000);
  std::promise<net::ClientResult> done;
  auto f = done.get_future();
  client.request(std::move(rq), [&done](net::ClientResult r) { done.set_value(std::move(r)); });
  return f.get();
}

std::string describe(const net::ClientResult& r) {
  if (!r.ok()) return r.error.message;
  return "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
}

/// The node's side of the protocol: who may call, and the answers.
class NodeService {
 public:
  NodeService(NodeConfig cfg, std::vector<Offer> offers, std::string secret)
      : cfg_(std::move(cfg)), offers_(std::move(offers)), secret_(std::move(secret)) {}

  net::Router router() {
    net::Router r;
    r.get("/health", [this](const net::Request& req) { return health(req); });
    for (const char* path :
         {"/v1/chat/completions", "/v1/embeddings", "/v1/image", "/v1/video", "/v1/tts",
          "/v1/scrape", "/v1/m/caption", "/v1/m/detect", "/v1/m/point", "/v1/m/query"}) {
      r.add_async(net::Method::Post, path,
                  [this](const net::Request& req, net::Reply reply) { serve(req, reply); });
    }
    return r;
  }

  std::int64_t in_flight() const noexcept { return in_flight_.load(); }

  void use_client(net::HttpClient* c) { client_ = c; }

 private:
  bool allowed(const net::Request& req) const {
    auto h = req.header("authorization");
    return h && *h == "Bearer " + secret_;
  }

  static net::Response denied() {
    return net::Response::json(
        401,
        R"({"error":{"message":"this node serves its gateway only","type":"invalid_request_error","param":null,"code":"invalid_node_secret"}})");
  }

  net::Response health(const net::Request& req) const {
    if (!allowed(req)) return denied();
    json::array offers;
    for (const auto& o : offers_) {
      offers.push_back(json::object{{"service", o.service}, {"model", o.model}});
    }
    std::string nonce(req.header("x-cx-nonce").value_or(""));
    return net::Response::json(
        200, json::serialize(
                 json::object{{"status", "ok"},
                              {"nonce", nonce},
                              {"backend", cfg_.backend == "synthetic" ? "synthetic" : "forward"},
                              {"inFlight", in_flight_.load()},
                              {"offers", std::move(offers)}}));
  }

  void serve(const net::Request& req, net::Reply reply) {
    if (!allowed(req)) return reply(denied());
    if (cfg_.backend == "synthetic") return synthetic_answer(req, reply);
    forward(req, std::move(reply));
  }

  static bool wants_stream(std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return false;
    const auto* s = v.get_object().if_contains("stream");
    return s != nullptr && s->is_bool() && s->get_bool();
  }

  void synthetic_answer(const net::Request& req, const net::Reply& reply) {
    if (req.path == "/v1/chat/completions" && wants_stream(req.body)) {
      auto s = synthetic::chat_stream(req.body, now_s());
      if (!s) {
        return reply(net::Response::json(
            400,
            json::serialize(json::object{{"error", json::object{{"message", s.error().message},
                                                                {"type", "invalid_request_error"},
                                                                {"param", nullptr},
                                                                {"code", "invalid_request"}}}})));
      }
      net::Response head;
      head.content_type = "text/event-stream";
      head.headers.emplace_back("cache-control", "no-cache");
      net::StreamWriter w = reply.stream(std::move(head));
      for (auto& e : s->events) w.write(std::move(e));
      if (s->cut) {
        w.abort();
      } else {
        w.finish();
      }
      return;
    }
    auto a = synthetic::answer(req.path, req.body, now_s());
    net::Response r;
    r.status = a.status;
    r.content_type = std::move(a.content_type);
    r.body = std::move(a.body);
    if (!a.usage.empty()) r.headers.emplace_back("x-cx-usage", std::move(a.usage));
    reply(std::move(r));
  }

  /// Passes the request to the OpenAI-compatible backend and its answer back, streaming when
  /// the backend streams.
  void forward(const net::Request& req, net::Reply reply) {
    if (client_ == nullptr) return reply(net::Response::error(503, "UNAVAILABLE", "no client"));
    std::string path = req.path;
    if (path != "/v1/chat/completions" && path != "/v1/embeddings") {
      return reply(net::Response::json(
          404,
          R"({"error":{"message":"this node forwards chat and embeddings only","type":"invalid_request_error","param":null,"code":"not_found"}})"));
    }
    net::ClientRequest rq;
    rq.method = net::Method::Post;
    rq.url = cfg_.backend + path;
    rq.headers.emplace_back("content-type", "application/json");
    rq.body = req.body;
    rq.timeout = milliseconds(120'000);
    ++in_flight_;
    struct Relay {
      explicit Relay(net::Reply r) : reply(std::move(r)) {}
      net::Reply reply;
      std::optional<net::StreamWriter> writer;
      net::Response head;
      std::string body;
      bool streaming = false;
    };
    auto relay = std::make_shared<Relay>(std::move(reply));
    net::StreamCallbacks cb;
    cb.on_head = [relay](unsigned status, const net::Fields& headers) {
      relay->head.status = status;
      for (const auto& [k, v] : headers) {
        if (net::iequals(k, "content-type")) relay->head.content_type = v;
      }
      relay->streaming = status == 200 && relay->head.content_type.starts_with("text/event-stream");
      if (relay->streaming) relay->writer = relay->reply.stream(relay->head);
    };
    cb.on_data = [relay](std::string_view chunk) {
      if (relay->writer) {
        relay->writer->write(std::string(chunk));
      } else {
        relay->body.append(chunk);
      }
    };
    cb.on_done = [relay, this](const net::ClientError& e) {
      --in_flight_;
      if (relay->writer) {
        if (!e.ok()) {
          relay->writer->abort();
        } else {
          relay->writer->finish();
        }
        return;
      }
      if (!e.ok()) {
        relay->reply(net::Response::error(502, "BAD_GATEWAY", "backend: " + e.message));
        return;
      }
      relay->head.body = std::move(relay->body);
      relay->reply(std::move(relay->head));
    };
    client_->stream(std::move(rq), std::move(cb));
  }

  NodeConfig cfg_;
  std::vector<Offer> offers_;
  std::string secret_;
  std::atomic<std::int64_t> in_flight_{0};
  net::HttpClient* client_ = nullptr;
};

Result<std::vector<Offer>> offers_of(const NodeConfig& c) {
  std::vector<Offer> out;
  if (c.backend == "synthetic" && c.models.empty()) {
    for (auto& o : synthetic::offers()) out.push_back({o.service, o.model});
    return out;
  }
  for (const auto& m : c.models) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(ErrorCode::InvalidArgument,
                  "--model must be service=model (e.g. chat=llama3), got \"" + m + "\"");
    }
    out.push_back({m.substr(0, eq), m.substr(eq + 1)});
  }
  if (out.empty()) {
    return fail(ErrorCode::InvalidArgument,
                "a forwarding node needs at least one --model service=model");
  }
  return out;
}

}  // namespace

int run_node(const std::vector<std::string>& args) {
  NodeConfig c;
  if (const char* ak = std::getenv("CX_PROVIDER_AK")) c.provider_ak = ak;
  CLI::App cli{"cxmpute node: a provider node serving the gateway's node protocol"};
  cli.add_option("--gateway", c.gateway, "the gateway's base URL")->capture_default_str();
  cli.add_option("--provider-ak", c.provider_ak, "providerAk (or CX_PROVIDER_AK)");
  cli.add_option("--listen", c.listen, "address to listen on")->capture_default_str();
  cli.add_option("--port", c.port, "port (0: any free port)")->capture_default_str();
  cli.add_option("--advertise", c.advertise, "URL the gateway calls (default http://listen:port)");
  cli.add_option("--backend", c.backend,
                 "'synthetic' (built-in, deterministic, for development and tests) or the base "
                 "URL of an OpenAI-compatible server")
      ->capture_default_str();
  cli.add_option("--model", c.models, "service=model served by a forwarding backend (repeat)");
  cli.add_option("--region", c.region)->capture_default_str();
  cli.add_option("--hardware", c.hardware, "hardware description (JSON)")->capture_default_str();
  cli.add_option("--heartbeat-ms", c.heartbeat_ms)
      ->capture_default_str()
      ->check(CLI::Range(100, 3'600'000));
  cli.add_option("--io-threads", c.io_threads)->capture_default_str()->check(CLI::Range(1, 64));
  cli.add_option("--log-level", c.log_level)->capture_default_str();
  std::vector<std::string> argv{"cxmpute node"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(ptrs.size()), ptrs.data());
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  if (c.provider_ak.empty()) {
    std::fputs("cxmpute node: --provider-ak (or CX_PROVIDER_AK) is required\n", stderr);
    return 2;
  }
  if (c.backend != "synthetic" && !c.backend.starts_with("http://")) {
    std::fputs("cxmpute node: --backend must be 'synthetic' or an http:// URL\n", stderr);
    return 2;
  }
  while (c.backend.ends_with('/')) c.backend.pop_back();
  while (c.gateway.ends_with('/')) c.gateway.pop_back();
  auto offers = offers_of(c);
  if (!offers) {
    std::fprintf(stderr, "cxmpute node: %s\n", offers.error().message.c_str());
    return 2;
  }

  // Signals are taken by sigwait() below; block them before any thread starts.
  sigset_t signals = block_stop_signals();
  auto logger = spdlog::stderr_color_mt("cxmpute-node");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l node: %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(c.log_level));
  spdlog::set_default_logger(logger);

  const std::string secret = auth::random_token(32);
  // Destroyed in reverse: the server, then the client (completing its callbacks), then svc.
  NodeService svc(c, *offers, secret);
  net::HttpClient client(net::ClientOptions{});
  svc.use_client(&client);
  net::ServerOptions so;
  so.address = c.listen;
  so.port = c.port;
  so.io_threads = c.io_threads;
  so.max_connections = 20'000;
  so.handler_timeout = milliseconds(300'000);
  so.log = [](std::string_view m) { spdlog::warn("http: {}", m); };
  net::HttpServer server(so, svc.router());
  if (auto r = server.start(); !r) {
    spdlog::error("cannot listen: {}", r.error().message);
    return 1;
  }
  if (c.advertise.empty()) c.advertise = "http://" + c.listen + ":" + std::to_string(server.port());

  json::array offer_json;
  for (const auto& o : *offers) {
    offer_json.push_back(json::object{{"service", o.service}, {"model", o.model}});
  }
  boost::system::error_code hec;
  json::value hardware = json::parse(c.hardware, hec);
  if (hec) hardware = c.hardware;
  const std::string registration = json::serialize(json::object{{"endpoint", c.advertise},
                                                                {"offers", offer_json},
                                                                {"hardware", hardware},
                                                                {"region", c.region},
                                                                {"secret", secret}});

  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  std::string node_id;
  std::thread control([&] {
    std::int64_t backoff = 500;
    std::unique_lock lk(m);
    while (!stopping) {
      if (node_id.empty()) {
        lk.unlock();
        auto r = call(client, net::Method::Post, c.gateway + "/api/providers/nodes", c.provider_ak,
                      registration);
        lk.lock();
        if (r.ok() && r.status == 201) {
          boost::system::error_code ec;
          auto v = json::parse(r.body, ec);
          if (!ec && v.is_object()) {
            if (const auto* id = v.get_object().if_contains("nodeId"); id && id->is_string()) {
              node_id = id->get_string();
            }
          }
          spdlog::info("registered with {} as node {} ({}), serving {} offers", c.gateway, node_id,
                       c.advertise, offers->size());
          std::printf("node %s registered at %s, serving on %s\n", node_id.c_str(),
                      c.gateway.c_str(), c.advertise.c_str());
          std::fflush(stdout);
          backoff = 500;
        } else {
          spdlog::warn("registration failed ({}); retrying in {} ms", describe(r), backoff);
          cv.wait_for(lk, milliseconds(backoff), [&] { return stopping; });
          backoff = std::min<std::int64_t>(backoff * 2, 30'000);
          continue;
        }
      }
      cv.wait_for(lk, milliseconds(c.heartbeat_ms), [&] { return stopping; });
      if (stopping) break;
      const std::string id = node_id;
      lk.unlock();
      auto r =
          call(client, net::Method::Post, c.gateway + "/api/providers/nodes/" + id + "/heartbeat",
               c.provider_ak, json::serialize(json::object{{"inFlight", svc.in_flight()}}));
      lk.lock();
      if (r.ok() && r.status == 404) {
        spdlog::warn("the gateway forgot node {}; registering again", id);
        node_id.clear();
      } else if (!r.ok() || r.status != 200) {
        spdlog::warn("heartbeat failed: {}", describe(r));
      }
    }
  });

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: leaving the gateway", sig);
  std::string id;
  {
    std::lock_guard lk(m);
    stopping = true;
    id = node_id;
  }
  cv.notify_all();
  control.join();
  if (!id.empty()) {
    auto r = call(client, net::Method::Delete, c.gateway + "/api/providers/nodes/" + id,
                  c.provider_ak, {});
    if (!r.ok() || r.status != 200) spdlog::warn("leave failed: {}", describe(r));
  }
  server.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace cx::app
