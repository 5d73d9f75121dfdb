// HttpClient against our HttpServer (and a scripted raw server for connection edge cases), all
// on 127.0.0.1.

#include "net/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/url.hpp"
#include "net_fixture.hpp"

namespace cx::net::test {
namespace {

constexpr auto kLongWait = 2 * kWait;
/// The fixture has a test client of the same name.
using Client = ::cx::net::HttpClient;

ClientOptions client_options() {
  ClientOptions o;
  o.threads = 2;
  o.connect_timeout = 2s;
  return o;
}

/// Records what a stream() delivers; every wait is bounded.
struct StreamLog {
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<unsigned> status;
  Fields headers;
  std::string data;
  std::optional<ClientError> done;
  int done_count = 0;
  std::function<void(std::string_view)> also_on_data;  ///< runs inside on_data

  StreamCallbacks callbacks() {
    StreamCallbacks cb;
    cb.on_head = [this](unsigned s, const Fields& h) {
      const std::lock_guard lock(mutex);
      status = s;
      headers = h;
      cv.notify_all();
    };
    cb.on_data = [this](std::string_view d) {
      {
        const std::lock_guard lock(mutex);
        data.append(d);
        cv.notify_all();
      }
      if (also_on_data) also_on_data(d);
    };
    cb.on_done = [this](const ClientError& e) {
      const std::lock_guard lock(mutex);
      done = e;
      ++done_count;
      cv.notify_all();
    };
    return cb;
  }

  bool wait_head() {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, kWait, [&] { return status.has_value() || done.has_value(); }) &&
           status.has_value();
  }
  bool wait_data(std::size_t bytes) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, kWait, [&] { return data.size() >= bytes || done.has_value(); }) &&
           data.size() >= bytes;
  }
  bool wait_done() {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, kLongWait, [&] { return done.has_value(); });
  }
  std::string received() {
    const std::lock_guard lock(mutex);
    return data;
  }
};

/// The server side of the tests: plain routes, plus /stream whose writers the test drives and
/// /never whose replies are parked (answered when the fixture goes).
struct TestServer {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<StreamWriter> writers;
  std::vector<Reply> parked;
  std::unique_ptr<HttpServer> server;

  explicit TestServer(ServerOptions o = test_options()) {
    Router r;
    r.get("/api/ping", [](const Request&) { return Response::text(200, "pong"); });
    r.post("/echo", [](const Request& req) {
      Response res = Response::json(201, req.body);
      res.headers.emplace_back("X-Echo-Method", std::string(to_string(req.method)));
      res.headers.emplace_back("X-Echo-Host", std::string(req.header("host").value_or("")));
      return res;
    });
    r.get("/big", [](const Request&) { return Response::text(200, std::string(4096, 'b')); });
    r.add_async(Method::Get, "/stream", [this](const Request&, Reply reply) {
      Response head;
      head.content_type = "text/event-stream";
      StreamWriter w = reply.stream(std::move(head));
      {
        const std::lock_guard lock(mutex);
        writers.push_back(std::move(w));
      }
      cv.notify_all();
    });
    r.add_async(Method::Get, "/never", [this](const Request&, Reply reply) {
      const std::lock_guard lock(mutex);
      parked.push_back(std::move(reply));
    });
    server = start_server(std::move(o), std::move(r));
  }

  ~TestServer() {
    std::vector<Reply> pending;
    std::vector<StreamWriter> open;
    {
      const std::lock_guard lock(mutex);
      pending.swap(parked);
      open.swap(writers);
    }
    // Let stop() drain at once.
    for (const auto& reply : pending) reply(Response::text(200, "late"));
    for (const auto& w : open) w.finish();
    server->stop();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return server->port(); }

  std::optional<StreamWriter> writer(std::size_t n) {
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, kWait, [&] { return writers.size() > n; })) return std::nullopt;
    return writers[n];
  }
};

/// A raw server for connection edge cases: accepts connections one after another and runs one
/// script per connection on its own thread. Every wait is bounded (poll and SO_RCVTIMEO).
class ScriptedServer {
 public:
  using Script = std::function<void(int fd)>;

  explicit ScriptedServer(std::vector<Script> scripts) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    const bool ok = fd_ >= 0 &&
                    ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::listen(fd_, 16) == 0;
    EXPECT_TRUE(ok);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, s = std::move(scripts)] {
      for (const auto& script : s) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 3000) <= 0) return;
        const int conn = ::accept(fd_, nullptr, nullptr);
        if (conn < 0) return;
        timeval tv{3, 0};
        ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        script(conn);
        ::close(conn);
      }
    });
  }
  ~ScriptedServer() {
    thread_.join();
    ::close(fd_);
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::uint16_t port() const { return port_; }

  /// Reads one bodiless request (up to the blank line); false on EOF or timeout.
  static bool read_request(int fd) {
    std::string got;
    char buf[1024];
    while (got.find("\r\n\r\n") == std::string::npos) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  static void send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// A loopback port nobody listens on (bound, then released).
std::uint16_t closed_port() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// --- URLs -----------------------------------------------------------------------------------

TEST(HttpUrl, ParsesHostPortAndTarget) {
  auto u = parse_http_url("http://127.0.0.1:9001/v1/chat/completions?x=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9001);
  EXPECT_EQ(u->target, "/v1/chat/completions?x=1");

  u = parse_http_url("HTTP://Example.com");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "Example.com");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");

  u = parse_http_url("http://[::1]:8080?q");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/?q");
}

TEST(HttpUrl, RejectsOtherSchemesUserinfoAndBadPorts) {
  EXPECT_FALSE(parse_http_url("https://example.com/"));
  EXPECT_FALSE(parse_http_url("http://user@example.com/"));
  EXPECT_FALSE(parse_http_url("http://example.com:0/"));
  EXPECT_FALSE(parse_http_url("http://example.com:65536/"));
  EXPECT_FALSE(parse_http_url("http://example.com:/"));
  EXPECT_FALSE(parse_http_url("http:///path"));
  EXPECT_FALSE(parse_http_url("http://[::1/"));
}

// --- Buffered requests ----------------------------------------------------------------------

TEST(HttpClient, BufferedRequestGetsStatusHeadersAndBody) {
  TestServer server;
  Client client(client_options());
  ClientRequest req = client_get(server.port(), "/echo");
  req.method = Method::Post;
  req.body = R"({"model":"m"})";
  req.headers.emplace_back("X-Request-Id", "client-7");
  const ClientResult r = client_call(client, std::move(req));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.status, 201u);
  EXPECT_EQ(r.body, R"({"model":"m"})");
  EXPECT_EQ(r.header("x-echo-method"), "POST");
  EXPECT_EQ(r.header("X-Echo-Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(r.header("x-request-id"), "client-7");
  EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST(HttpClient, HostPortAndTargetWorkWithoutAUrl) {
  TestServer server;
  Client client(client_options());
  ClientRequest req;
  req.host = "127.0.0.1";
  req.port = server.port();
  req.target = "/api/ping";
  const ClientResult r = client_call(client, std::move(req));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "pong");
}

TEST(HttpClient, KeepAliveReusesOneConnection) {
  TestServer server;
  Client client(client_options());
  for (int i = 0; i < 5; ++i) {
    const ClientResult r = client_call(client, client_get(server.port(), "/api/ping"));
    ASSERT_TRUE(r.ok()) << r.error.message;
    EXPECT_EQ(r.body, "pong");
  }
  EXPECT_EQ(server.server->metrics().snapshot().http_connections_total, 1u);
  const ClientStats s = client.stats();
  EXPECT_EQ(s.requests, 5u);
  EXPECT_EQ(s.connections_opened, 1u);
  EXPECT_EQ(s.connections_reused, 4u);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClient, ConnectionCloseIsNotPooled) {
  TestServer server;
  Client client(client_options());
  ClientRequest req = client_get(server.port(), "/api/ping");
  req.headers.emplace_back("Connection", "close");
  ASSERT_TRUE(client_call(client, req).ok());
  ASSERT_TRUE(client_call(client, req).ok());
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(HttpClient, HeadRequestHasNoBodyAndKeepsTheConnection) {
  TestServer server;
  Client client(client_options());
  ClientRequest req = client_get(server.port(), "/api/ping");
  req.method = Method::Head;
  const ClientResult head = client_call(client, std::move(req));
  ASSERT_TRUE(head.ok()) << head.error.message;
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("content-length"), "4");
  EXPECT_TRUE(head.body.empty());
  const ClientResult next = client_call(client, client_get(server.port(), "/api/ping"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.body, "pong");
  EXPECT_EQ(client.stats().connections_opened, 1u);
}

TEST(HttpClient, ChunkedResponseIsDecodedForABufferedRequest) {
  TestServer server;
  Client client(client_options());
  std::promise<ClientResult> result;
  client.request(client_get(server.port(), "/stream"),
                 [&](ClientResult r) { result.set_value(std::move(r)); });
  auto writer = server.writer(0);
  ASSERT_TRUE(writer);
  writer->write("data: a\n\n");
  writer->write("data: b\n\n");
  writer->finish();
  auto f = result.get_future();
  ASSERT_TRUE(ready_within(f, kWait));
  const ClientResult r = f.get();
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "data: a\n\ndata: b\n\n");
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
}

TEST(HttpClient, ManyThreadsShareOneClient) {
  TestServer server;
  Client client(client_options());
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (client_call(client, client_get(server.port(), "/api/ping")).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_LE(client.stats().connections_opened, static_cast<std::uint64_t>(kThreads));
}

// --- Streaming ------------------------------------------------------------------------------

TEST(HttpClient, StreamDeliversChunksAsTheServerWritesThem) {
  TestServer server;
  Client client(client_options());
  StreamLog log;
  ClientRequest req = client_get(server.port(), "/stream");
  req.stream_idle_timeout = kWait;
  const auto handle = client.stream(std::move(req), log.callbacks());
  auto writer = server.writer(0);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(log.wait_head());
  EXPECT_EQ(*log.status, 200u);
  bool saw_event_stream = false;
  for (const auto& [k, v] : log.headers) {
    saw_event_stream = saw_event_stream || (iequals(k, "content-type") && v == "text/event-stream");
  }
  EXPECT_TRUE(saw_event_stream);

  // Each chunk arrives before the next is written.
  std::string expected;
  for (int i = 0; i < 5; ++i) {
    const std::string chunk = "data: " + std::to_string(i) + "\n\n";
    expected += chunk;
    ASSERT_TRUE(writer->write(chunk));
    ASSERT_TRUE(log.wait_data(expected.size())) << "chunk " << i;
    EXPECT_EQ(log.received(), expected);
  }
  writer->finish();
  ASSERT_TRUE(log.wait_done());
  EXPECT_TRUE(log.done->ok()) << log.done->message;
  EXPECT_EQ(log.done_count, 1);
  EXPECT_EQ(log.received(), expected);
  handle->cancel();                          // after completion: nothing happens
  EXPECT_EQ(client.idle_connections(), 1u);  // the connection went back to the pool
}

TEST(HttpClient, ManyConcurrentStreamsEachGetTheirOwnBody) {
  TestServer server;
  Client client(client_options());
  constexpr std::size_t kStreams = 64;
  constexpr int kChunks = 20;
  std::vector<std::unique_ptr<StreamLog>> logs;
  std::vector<std::shared_ptr<ClientStream>> handles;
  for (std::size_t i = 0; i < kStreams; ++i) {
    logs.push_back(std::make_unique<StreamLog>());
    handles.push_back(
        client.stream(client_get(server.port(), "/stream"), logs.back()->callbacks()));
  }
  // Each server writer tags its chunks with its own index; producers run on two threads.
  std::vector<StreamWriter> writers;
  for (std::size_t i = 0; i < kStreams; ++i) {
    auto w = server.writer(i);
    ASSERT_TRUE(w);
    writers.push_back(*w);
  }
  auto produce = [&](std::size_t from) {
    for (int c = 0; c < kChunks; ++c) {
      for (std::size_t i = from; i < kStreams; i += 2)
        writers[i].write("w" + std::to_string(i) + ";");
    }
    for (std::size_t i = from; i < kStreams; i += 2) writers[i].finish();
  };
  std::thread a(produce, 0);
  std::thread b(produce, 1);
  a.join();
  b.join();
  // Which client stream got which server writer is up to the server: check each body is
  // kChunks copies of one tag, and that every tag was seen once.
  std::vector<int> seen(kStreams, 0);
  for (const auto& log : logs) {
    ASSERT_TRUE(log->wait_done());
    ASSERT_TRUE(log->done->ok()) << log->done->message;
    const std::string body = log->received();
    const std::string tag = body.substr(0, body.find(';') + 1);
    std::string expected;
    for (int c = 0; c < kChunks; ++c) expected += tag;
    EXPECT_EQ(body, expected);
    const auto index = static_cast<std::size_t>(std::stoul(tag.substr(1)));
    ASSERT_LT(index, kStreams);
    ++seen[index];
  }
  for (std::size_t i = 0; i < kStreams; ++i) EXPECT_EQ(seen[i], 1) << "writer " << i;
}

TEST(HttpClient, CancelEndsAStreamOnceAndClosesTheServerSide) {
  TestServer server;
  Client client(client_options());
  StreamLog log;
  const auto handle = client.stream(client_get(server.port(), "/stream"), log.callbacks());
  auto writer = server.writer(0);
  ASSERT_TRUE(writer);
  auto server_saw_close = std::make_shared<std::promise<void>>();
  writer->on_close([server_saw_close] { server_saw_close->set_value(); });
  writer->write("first");
  ASSERT_TRUE(log.wait_data(5));

  handle->cancel();
  handle->cancel();
  ASSERT_TRUE(log.wait_done());
  EXPECT_EQ(log.done->code, ClientErrc::Cancelled);
  EXPECT_FALSE(log.done->before_response);
  auto closed = server_saw_close->get_future();
  EXPECT_TRUE(ready_within(closed, kWait));
  EXPECT_FALSE(writer->write("after cancel"));
  EXPECT_EQ(log.done_count, 1);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(HttpClient, CancelFromInsideOnDataStopsFurtherData) {
  TestServer server;
  Client client(client_options());
  StreamLog log;
  std::shared_ptr<ClientStream> handle;
  std::mutex handle_mutex;
  log.also_on_data = [&](std::string_view) {
    const std::lock_guard lock(handle_mutex);
    if (handle) handle->cancel();
  };
  {
    const std::lock_guard lock(handle_mutex);
    handle = client.stream(client_get(server.port(), "/stream"), log.callbacks());
  }
  auto writer = server.writer(0);
  ASSERT_TRUE(writer);
  writer->write("one");
  writer->write("two");
  writer->write("three");
  ASSERT_TRUE(log.wait_done());
  EXPECT_EQ(log.done->code, ClientErrc::Cancelled);
  EXPECT_FALSE(log.received().empty());
  EXPECT_EQ(log.done_count, 1);
}

TEST(HttpClient, StreamIdleTimeoutAfterTheHead) {
  TestServer server;
  Client client(client_options());
  StreamLog log;
  ClientRequest req = client_get(server.port(), "/stream");
  req.stream_idle_timeout = 200ms;
  const auto handle = client.stream(std::move(req), log.callbacks());
  auto writer = server.writer(0);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(log.wait_head());
  ASSERT_TRUE(log.wait_done());  // the server never writes
  EXPECT_EQ(log.done->code, ClientErrc::Timeout);
  EXPECT_FALSE(log.done->before_response);
}

// --- Errors ---------------------------------------------------------------------------------

TEST(HttpClient, ConnectionRefusedIsABeforeResponseError) {
  Client client(client_options());
  const ClientResult r = client_call(client, client_get(closed_port(), "/api/ping"));
  EXPECT_EQ(r.error.code, ClientErrc::Connect) << r.error.message;
  EXPECT_TRUE(r.error.before_response);
  EXPECT_FALSE(r.error.request_sent);
  EXPECT_FALSE(r.error.message.empty());
}

TEST(HttpClient, RefusedStreamReportsOnDoneOnly) {
  Client client(client_options());
  StreamLog log;
  const auto handle = client.stream(client_get(closed_port(), "/stream"), log.callbacks());
  ASSERT_TRUE(log.wait_done());
  EXPECT_EQ(log.done->code, ClientErrc::Connect);
  EXPECT_TRUE(log.done->before_response);
  EXPECT_FALSE(log.status);
}

TEST(HttpClient, TimeoutBeforeTheResponseIsABeforeResponseError) {
  TestServer server;
  Client client(client_options());
  ClientRequest req = client_get(server.port(), "/never");
  req.timeout = 200ms;
  const ClientResult r = client_call(client, std::move(req));
  EXPECT_EQ(r.error.code, ClientErrc::Timeout) << r.error.message;
  EXPECT_TRUE(r.error.before_response);
  EXPECT_TRUE(r.error.request_sent);
}

TEST(HttpClient, InvalidRequestsAreRefusedWithoutSending) {
  Client client(client_options());
  ClientRequest bad_scheme;
  bad_scheme.url = "https://127.0.0.1/";
  ClientResult r = client_call(client, bad_scheme);
  EXPECT_EQ(r.error.code, ClientErrc::InvalidRequest);
  EXPECT_TRUE(r.error.before_response);
  EXPECT_FALSE(r.error.request_sent);

  ClientRequest injected = client_get(1, "/");
  injected.headers.emplace_back("X-Evil", "a\r\nX-Injected: 1");
  r = client_call(client, injected);
  EXPECT_EQ(r.error.code, ClientErrc::InvalidRequest);
}

TEST(HttpClient, ResponseOverTheLimitIsTooLarge) {
  TestServer server;
  auto o = client_options();
  o.max_response_bytes = 1024;
  Client client(o);
  const ClientResult r = client_call(client, client_get(server.port(), "/big"));
  EXPECT_EQ(r.error.code, ClientErrc::TooLarge) << r.error.message;
  EXPECT_FALSE(r.error.before_response);
}

TEST(HttpClient, MalformedResponseIsAProtocolError) {
  ScriptedServer raw({[](int fd) {
    if (ScriptedServer::read_request(fd)) ScriptedServer::send_all(fd, "NOT HTTP AT ALL\r\n\r\n");
  }});
  Client client(client_options());
  const ClientResult r = client_call(client, client_get(raw.port(), "/"));
  EXPECT_EQ(r.error.code, ClientErrc::Protocol) << r.error.message;
  EXPECT_FALSE(r.error.before_response);
}

// --- Pooled connections closed by the server ------------------------------------------------

TEST(HttpClient, AReusedConnectionClosedUnderTheRequestIsRetriedOnce) {
  // The first connection answers one request, then closes on reading the second (as a server
  // whose idle timeout strikes just as the request arrives); the second connection answers.
  ScriptedServer raw({
      [](int fd) {
        if (!ScriptedServer::read_request(fd)) return;
        ScriptedServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
        (void)ScriptedServer::read_request(fd);  // then close without answering
      },
      [](int fd) {
        if (!ScriptedServer::read_request(fd)) return;
        ScriptedServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nretried");
      },
  });
  Client client(client_options());
  const ClientResult first = client_call(client, client_get(raw.port(), "/"));
  ASSERT_TRUE(first.ok()) << first.error.message;
  EXPECT_EQ(first.body, "first");
  const ClientResult second = client_call(client, client_get(raw.port(), "/"));
  ASSERT_TRUE(second.ok()) << second.error.message;
  EXPECT_EQ(second.body, "retried");
  const ClientStats s = client.stats();
  EXPECT_EQ(s.retries, 1u);
  EXPECT_EQ(s.connections_opened, 2u);
}

TEST(HttpClient, AFreshConnectionClosedBeforeTheResponseIsNotRetried) {
  ScriptedServer raw({[](int fd) { (void)ScriptedServer::read_request(fd); }});
  Client client(client_options());
  const ClientResult r = client_call(client, client_get(raw.port(), "/"));
  EXPECT_EQ(r.error.code, ClientErrc::Io) << r.error.message;
  EXPECT_TRUE(r.error.before_response);
  EXPECT_TRUE(r.error.request_sent);
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST(HttpClient, ServerIdleTimeoutOnAPooledConnectionIsInvisible) {
  auto o = test_options();
  o.idle_timeout = 100ms;
  TestServer server(o);
  Client client(client_options());
  ASSERT_TRUE(client_call(client, client_get(server.port(), "/api/ping")).ok());
  // Wait (bounded) until the server has closed the idle connection.
  const auto until = Clock::now() + kWait;
  while (server.server->metrics().snapshot().http_connections_active != 0 && Clock::now() < until) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(server.server->metrics().snapshot().http_connections_active, 0u);
  const ClientResult r = client_call(client, client_get(server.port(), "/api/ping"));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "pong");
  EXPECT_EQ(client.stats().connections_opened, 2u);
}

TEST(HttpClient, ClientIdleTimeoutClosesPooledConnections) {
  TestServer server;
  auto o = client_options();
  o.idle_timeout = 100ms;
  Client client(o);
  ASSERT_TRUE(client_call(client, client_get(server.port(), "/api/ping")).ok());
  EXPECT_EQ(client.idle_connections(), 1u);
  const auto until = Clock::now() + kWait;
  while (client.idle_connections() != 0 && Clock::now() < until) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(client.idle_connections(), 0u);
}

// --- Shutdown -------------------------------------------------------------------------------

TEST(HttpClient, DestroyingTheClientCompletesOutstandingExchangesWithShutdown) {
  TestServer server;
  std::atomic<int> buffered_calls{0};
  std::atomic<ClientErrc> buffered_code{ClientErrc::Ok};
  StreamLog log;
  std::shared_ptr<ClientStream> handle;
  {
    Client client(client_options());
    client.request(client_get(server.port(), "/never"), [&](ClientResult r) {
      buffered_code = r.error.code;
      ++buffered_calls;
    });
    handle = client.stream(client_get(server.port(), "/stream"), log.callbacks());
    ASSERT_TRUE(log.wait_head());
    const auto until = Clock::now() + kWait;  // the /never request has reached the server
    while (Clock::now() < until) {
      {
        const std::lock_guard lock(server.mutex);
        if (!server.parked.empty()) break;
      }
      std::this_thread::sleep_for(5ms);
    }
  }
  EXPECT_EQ(buffered_calls.load(), 1);
  EXPECT_EQ(buffered_code.load(), ClientErrc::Shutdown);
  ASSERT_TRUE(log.done);
  EXPECT_EQ(log.done->code, ClientErrc::Shutdown);
  EXPECT_EQ(log.done_count, 1);
  handle->cancel();  // the client is gone: harmless
}

}  // namespace
}  // namespace cx::net::test
