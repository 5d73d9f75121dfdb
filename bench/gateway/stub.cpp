#include "gateway/stub.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "net/http_server.hpp"
#include "net/router.hpp"

namespace cx::bench::gateway {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kCompletion =
    R"({"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}})";

constexpr std::string_view kRoleChunk =
    "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
    "\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},"
    "\"finish_reason\":null}]}\n\n";
constexpr std::string_view kContentChunk =
    "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
    "\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},"
    "\"finish_reason\":null}]}\n\n";

std::string usage_chunk(int tokens) {
  return "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":"
         "1700000000,\"model\":\"bench\",\"choices\":[],\"usage\":{\"prompt_tokens\":8,"
         "\"completion_tokens\":" +
         std::to_string(tokens) + ",\"total_tokens\":" + std::to_string(tokens + 8) +
         "}}\n\ndata: [DONE]\n\n";
}

/// A stream being written: `left` content chunks to go, the next one due at `due`.
struct OpenStream {
  net::StreamWriter writer;
  int total = 0;
  int left = 0;
  Clock::time_point due;
};

/// One thread writes every due chunk; handlers only enqueue.
class Ticker {
 public:
  explicit Ticker(std::chrono::milliseconds interval) : interval_(interval) {}

  void add(net::StreamWriter w, int chunks) {
    std::lock_guard lk(mutex_);
    incoming_.push_back({std::move(w), chunks, chunks, Clock::now() + interval_});
  }

  /// Runs until `stop` is set.
  void run(const volatile std::sig_atomic_t& stop) {
    std::vector<OpenStream> live;
    while (stop == 0) {
      {
        std::lock_guard lk(mutex_);
        for (auto& s : incoming_) live.push_back(std::move(s));
        incoming_.clear();
      }
      const auto now = Clock::now();
      std::size_t kept = 0;
      for (std::size_t i = 0; i < live.size(); ++i) {
        OpenStream& s = live[i];
        bool keep = true;
        if (s.due <= now) {
          if (s.left > 0) {
            keep = s.writer.write(std::string(kContentChunk));
            --s.left;
            s.due += interval_;
          } else {
            s.writer.write(usage_chunk(s.total));
            s.writer.finish();
            keep = false;
          }
        }
        if (keep && i != kept) live[kept] = std::move(s);
        if (keep) ++kept;
      }
      live.resize(kept);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

 private:
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::vector<OpenStream> incoming_;
};

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

bool authorized(const net::Request& req, const std::string& expected) {
  const auto h = req.header("authorization");
  return h && *h == expected;
}

/// max_tokens from the body ("max_tokens":N), default 4, at most 600.
int chunks_asked(std::string_view body) {
  const auto p = body.find("\"max_tokens\":");
  if (p == std::string_view::npos) return 4;
  const int n = std::atoi(std::string(body.substr(p + 13, 8)).c_str());
  return n < 1 ? 1 : (n > 600 ? 600 : n);
}

}  // namespace

int run_stub(const StubOptions& options) {
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  const std::string expected = "Bearer " + options.secret;
  Ticker ticker(options.chunk_interval);

  net::Router router;
  router.get("/health", [&](const net::Request& req) {
    if (!authorized(req, expected)) return net::Response::error(401, "UNAUTHORIZED", "secret");
    std::string body = R"({"status":"ok","nonce":")";
    net::append_json_escaped(body, req.header("x-cx-nonce").value_or(""));
    body += R"(","offers":[{"service":"chat","model":"bench"}]})";
    return net::Response::json(200, std::move(body));
  });
  router.add_async(net::Method::Post, "/v1/chat/completions",
                   [&](const net::Request& req, net::Reply reply) {
                     if (!authorized(req, expected)) {
                       return reply(net::Response::error(401, "UNAUTHORIZED", "secret"));
                     }
                     if (req.body.find("\"stream\":true") == std::string::npos) {
                       return reply(net::Response::json(200, std::string(kCompletion)));
                     }
                     net::Response head;
                     head.content_type = "text/event-stream";
                     head.headers.emplace_back("cache-control", "no-cache");
                     net::StreamWriter w = reply.stream(std::move(head));
                     w.write(std::string(kRoleChunk));
                     ticker.add(std::move(w), chunks_asked(req.body));
                   });

  net::ServerOptions so;
  so.address = "127.0.0.1";
  so.port = options.port;
  so.io_threads = options.io_threads;
  so.max_connections = 100'000;
  so.idle_timeout = std::chrono::milliseconds(120'000);
  so.request_timeout = std::chrono::milliseconds(120'000);
  so.handler_timeout = std::chrono::milliseconds(120'000);
  so.drain_timeout = std::chrono::milliseconds(500);
  net::HttpServer server(std::move(so), std::move(router));
  if (auto r = server.start(); !r) {
    std::fprintf(stderr, "stub: %s\n", r.error().message.c_str());
    return 1;
  }
  ticker.run(g_stop);
  server.stop();
  return 0;
}

}  // namespace cx::bench::gateway
