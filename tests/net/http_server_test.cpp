#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "net_fixture.hpp"

namespace cx::net::test {
namespace {

/// Runs replies on a thread of its own, like the engine thread will.
class ReplyWorker {
 public:
  ReplyWorker() : thread_([this] { loop(); }) {}
  ~ReplyWorker() {
    {
      const std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> job) {
    {
      const std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_all();
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool done_ = false;
  std::thread thread_;
};

Router orders_router() {
  Router r;
  r.get("/api/orders/{orderId}", [](const Request& req) {
    return Response::json(200,
                          R"({"orderId":")" + std::string(*req.param("orderId")) + R"(","mode":")" +
                              std::string(req.query_value("mode").value_or("")) + R"(","note":")" +
                              std::string(req.query_value("note").value_or("")) + "\"}");
  });
  r.get("/api/orders/batch", [](const Request&) { return Response::text(200, "batch"); });
  r.post("/api/orders", [](const Request& req) { return Response::json(201, req.body); });
  r.get("/api/ping", [](const Request&) { return Response::text(200, "pong"); });
  r.get("/api/boom", [](const Request&) -> Response { throw std::runtime_error("boom"); });
  return r;
}

TEST(HttpServer, RoutesPathParametersAndDecodedQuery) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.connected());
  auto res = c.get("/api/orders/ab%20c?mode=PAPER&note=a+b%26c");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body(), R"({"orderId":"ab c","mode":"PAPER","note":"a b&c"})");
  EXPECT_EQ(sv((*res)[http::field::content_type]), "application/json");

  res = c.get("/api/orders/batch");  // a literal segment wins over {orderId}
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "batch");
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 5; ++i) {
    auto res = c.request(http::verb::post, "/api/orders", "{\"n\":" + std::to_string(i) + "}");
    ASSERT_TRUE(res) << "request " << i;
    EXPECT_EQ(res->result_int(), 201u);
    EXPECT_EQ(res->body(), "{\"n\":" + std::to_string(i) + "}");
    EXPECT_TRUE(res->keep_alive());
  }
  const auto m = server->metrics().snapshot();
  EXPECT_EQ(m.http_connections_total, 1u);
  EXPECT_EQ(m.requests_by_class[1], 5u);
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(
      c.write_raw("GET /api/orders/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /api/ping HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /api/orders/2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read_response();
  auto b = c.read_response();
  auto d = c.read_response();
  ASSERT_TRUE(a && b && d);
  EXPECT_NE(a->body().find("\"orderId\":\"1\""), std::string::npos);
  EXPECT_EQ(b->body(), "pong");
  EXPECT_NE(d->body().find("\"orderId\":\"2\""), std::string::npos);
}

TEST(HttpServer, UnknownRouteIs404WithErrorBody) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  auto res = c.get("/api/nothing-here");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 404u);
  EXPECT_EQ(res->body(),
            R"({"error":{"code":"NOT_FOUND","message":"no route for /api/nothing-here"}})");
  EXPECT_TRUE(res->keep_alive());
  EXPECT_TRUE(c.get("/api/ping"));  // the connection is still usable
}

TEST(HttpServer, WrongMethodIs405WithAllow) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  auto res = c.request(http::verb::delete_, "/api/orders");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 405u);
  EXPECT_EQ(sv((*res)[http::field::allow]), "POST");
  EXPECT_NE(res->body().find("\"code\":\"METHOD_NOT_ALLOWED\""), std::string::npos);
}

TEST(HttpServer, MalformedRequestIs400AndTheConnectionCloses) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.write_raw("GET /api/ping HTTP/1.1\r\nHost x-no-colon\r\n\r\n"));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400u);
  EXPECT_NE(res->body().find(R"({"error":{"code":"MALFORMED_REQUEST","message":")"),
            std::string::npos);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_FALSE(sv((*res)["x-request-id"]).empty());
  EXPECT_TRUE(c.wait_closed());
}

TEST(HttpServer, GarbageBytesGet400) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.write_raw(std::string("\x01\x02\x03 garbage\r\n\r\n", 15)));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400u);
  EXPECT_TRUE(c.wait_closed());
}

TEST(HttpServer, MalformedQueryEscapeIs400AndKeepsTheConnection) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  auto res = c.get("/api/orders/1?mode=%zz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400u);
  EXPECT_TRUE(c.get("/api/ping"));
}

TEST(HttpServer, OversizedBodyIs413) {
  auto o = test_options();
  o.max_body_bytes = 1024;
  auto server = start_server(o, orders_router());
  HttpClient c(server->port());
  auto res = c.request(http::verb::post, "/api/orders", std::string(4096, 'x'));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413u);
  EXPECT_EQ(
      res->body(),
      R"({"error":{"code":"PAYLOAD_TOO_LARGE","message":"request body exceeds 1024 bytes"}})");
  EXPECT_TRUE(c.wait_closed());

  HttpClient ok(server->port());  // at the limit is fine
  res = ok.request(http::verb::post, "/api/orders", std::string(1024, 'y'));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 201u);
}

TEST(HttpServer, OversizedHeadersAre431) {
  auto o = test_options();
  o.max_header_bytes = 1024;
  auto server = start_server(o, orders_router());
  HttpClient c(server->port());
  auto res = c.request(http::verb::get, "/api/ping", {}, {{"X-Big", std::string(2048, 'h')}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 431u);
  EXPECT_NE(res->body().find("HEADERS_TOO_LARGE"), std::string::npos);
}

TEST(HttpServer, Expect100ContinueGetsAnInterimResponse) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.write_raw(
      "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->result_int(), 100u);
  ASSERT_TRUE(c.write_raw("{\"a\":1}"));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 201u);
  EXPECT_EQ(res->body(), "{\"a\":1}");
}

TEST(HttpServer, HandlerExceptionIs500) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  auto res = c.get("/api/boom");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 500u);
  EXPECT_EQ(res->body(), R"({"error":{"code":"INTERNAL","message":"internal error"}})");
}

TEST(HttpServer, RequestIdIsEchoedOrGenerated) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  auto res = c.request(http::verb::get, "/api/ping", {}, {{"X-Request-Id", "client-42"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(sv((*res)["x-request-id"]), "client-42");
  auto a = c.get("/api/ping");
  auto b = c.get("/api/nothing");
  ASSERT_TRUE(a && b);
  const auto ida = std::string(sv((*a)["x-request-id"]));
  const auto idb = std::string(sv((*b)["x-request-id"]));
  EXPECT_FALSE(ida.empty());
  EXPECT_FALSE(idb.empty());
  EXPECT_NE(ida, idb);
  // An unreasonable client id (a space) is replaced.
  res = c.request(http::verb::get, "/api/ping", {}, {{"X-Request-Id", "a b"}});
  ASSERT_TRUE(res);
  EXPECT_NE(sv((*res)["x-request-id"]), "a b");
}

TEST(HttpServer, AsyncHandlerRepliesFromAnotherThread) {
  ReplyWorker worker;
  std::atomic<bool> replied_off_io{false};
  Router r;
  r.add_async(Method::Post, "/api/orders", [&](const Request& req, Reply reply) {
    worker.post([&worker, &replied_off_io, body = req.body, reply] {
      replied_off_io = std::this_thread::get_id() == worker.id();
      reply(Response::json(202, "{\"accepted\":" + body + "}"));
    });
  });
  auto server = start_server(test_options(), std::move(r));
  HttpClient c(server->port());
  for (int i = 0; i < 3; ++i) {  // and the connection stays usable
    auto res = c.request(http::verb::post, "/api/orders", std::to_string(i));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 202u);
    EXPECT_EQ(res->body(), "{\"accepted\":" + std::to_string(i) + "}");
  }
  EXPECT_TRUE(replied_off_io);
}

TEST(HttpServer, DroppedReplyBecomes500) {
  Router r;
  r.add_async(Method::Get, "/api/lost", [](const Request&, Reply) {});
  auto server = start_server(test_options(), std::move(r));
  HttpClient c(server->port());
  auto res = c.get("/api/lost");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 500u);
  EXPECT_NE(res->body().find("handler dropped the request"), std::string::npos);
}

TEST(HttpServer, SlowAsyncHandlerGets503AndItsLateReplyIsIgnored) {
  auto o = test_options();
  o.handler_timeout = 200ms;
  std::promise<Reply> parked;
  Router r;
  r.add_async(Method::Get, "/api/slow",
              [&](const Request&, Reply reply) { parked.set_value(reply); });
  r.get("/api/ping", [](const Request&) { return Response::text(200, "pong"); });
  auto server = start_server(o, std::move(r));
  HttpClient c(server->port());
  const auto t0 = Clock::now();
  auto res = c.get("/api/slow");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 503u);
  EXPECT_NE(res->body().find("\"code\":\"TIMEOUT\""), std::string::npos);
  EXPECT_GE(Clock::now() - t0, 150ms);
  auto reply = parked.get_future().get();
  reply(Response::text(200, "too late"));
  auto next = c.get("/api/ping");  // the late reply did not leak into the next response
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body(), "pong");
}

TEST(HttpServer, EachAsyncRequestGetsItsOwnHandlerDeadline) {
  // The first request is answered at once; the second, sent later on the same connection, is
  // parked. Its 503 must come a full handler_timeout after it was sent, not at the deadline the
  // first request had.
  auto o = test_options();
  o.handler_timeout = 400ms;
  std::promise<Reply> parked;
  Router r;
  r.add_async(Method::Get, "/api/fast",
              [](const Request&, Reply reply) { reply(Response::text(200, "fast")); });
  r.add_async(Method::Get, "/api/slow",
              [&](const Request&, Reply reply) { parked.set_value(reply); });
  auto server = start_server(o, std::move(r));
  HttpClient c(server->port());
  auto first = c.get("/api/fast");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body(), "fast");
  std::this_thread::sleep_for(250ms);
  const auto t1 = Clock::now();
  auto second = c.get("/api/slow");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->result_int(), 503u);
  EXPECT_GE(Clock::now() - t1, 350ms);
  parked.get_future().get()(Response::text(200, "too late"));
  auto third = c.get("/api/fast");  // and the connection goes on
  ASSERT_TRUE(third);
  EXPECT_EQ(third->body(), "fast");
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  auto o = test_options();
  o.idle_timeout = 200ms;
  auto server = start_server(o, orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.get("/api/ping"));
  const auto t0 = Clock::now();
  EXPECT_TRUE(c.wait_closed(2s));
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 1500ms);
}

TEST(HttpServer, StalledRequestIsClosedAfterRequestTimeout) {
  auto o = test_options();
  o.request_timeout = 200ms;
  auto server = start_server(o, orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.write_raw("GET /api/ping HTTP/1.1\r\nHo"));
  const auto t0 = Clock::now();
  EXPECT_TRUE(c.wait_closed(2s));
  EXPECT_GE(Clock::now() - t0, 150ms);
}

TEST(HttpServer, GracefulStopFinishesAnInFlightAsyncRequest) {
  std::promise<Reply> parked;
  Router r;
  r.add_async(Method::Get, "/api/slow",
              [&](const Request&, Reply reply) { parked.set_value(reply); });
  r.get("/api/ping", [](const Request&) { return Response::text(200, "pong"); });
  auto server = start_server(test_options(), std::move(r));
  const auto port = server->port();

  HttpClient idle(port);
  ASSERT_TRUE(idle.get("/api/ping"));  // now an idle keep-alive connection

  HttpClient busy(port);
  auto in_flight = std::async(std::launch::async, [&] { return busy.get("/api/slow"); });
  auto reply_future = parked.get_future();
  ASSERT_TRUE(ready_within(reply_future, kWait));

  auto stopped = std::async(std::launch::async, [&] { server->stop(); });
  EXPECT_TRUE(idle.wait_closed(1s));          // idle connections are closed at once
  EXPECT_FALSE(ready_within(stopped, 50ms));  // stop waits for the in-flight request
  HttpClient late(port);                      // no longer accepted
  EXPECT_FALSE(late.connected() && late.get("/api/ping"));

  reply_future.get()(Response::text(200, "finished"));
  ASSERT_TRUE(ready_within(in_flight, kWait));
  auto res = in_flight.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "finished");
  EXPECT_FALSE(res->keep_alive());  // Connection: close while stopping
  EXPECT_TRUE(ready_within(stopped, kWait));
}

TEST(HttpServer, StopIsBoundedWhenAReplyNeverComes) {
  auto o = test_options();
  o.drain_timeout = 200ms;
  std::promise<Reply> parked;
  Router r;
  r.add_async(Method::Get, "/api/never",
              [&](const Request&, Reply reply) { parked.set_value(reply); });
  auto server = start_server(o, std::move(r));
  HttpClient c(server->port());
  auto in_flight = std::async(std::launch::async, [&] { return c.get("/api/never"); });
  auto reply = parked.get_future().get();

  const auto t0 = Clock::now();
  server->stop();
  EXPECT_LT(Clock::now() - t0, 1500ms);
  ASSERT_TRUE(ready_within(in_flight, kWait));
  EXPECT_FALSE(in_flight.get());  // cut without a response
  server.reset();
  reply(Response::text(200, "after the server is gone"));  // harmless
  EXPECT_TRUE(reply.done());
}

TEST(HttpServer, MetricsCountRequestsByClassAndRenderPrometheusText) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.get("/api/ping"));
  ASSERT_TRUE(c.get("/api/ping"));
  ASSERT_TRUE(c.get("/api/none"));
  ASSERT_TRUE(c.get("/api/boom"));
  const auto m = server->metrics().snapshot();
  EXPECT_EQ(m.requests_by_class[1], 2u);
  EXPECT_EQ(m.requests_by_class[3], 1u);
  EXPECT_EQ(m.requests_by_class[4], 1u);
  EXPECT_EQ(m.latency_count, 4u);
  EXPECT_EQ(m.http_connections_active, 1u);
  const std::string text = server->metrics_text();
  EXPECT_NE(text.find("cx_http_requests_total{class=\"2xx\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cx_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("cx_http_request_duration_seconds_count 4\n"), std::string::npos);
  EXPECT_NE(text.find("cx_http_connections_active 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE cx_http_request_duration_seconds histogram\n"), std::string::npos);
}

TEST(HttpServer, MetricsRouteCanBeRegisteredBeforeTheServerExists) {
  auto metrics = std::make_shared<ServerMetrics>();
  Router r;
  r.get("/metrics", [metrics](const Request&) {
    std::string text;
    metrics->render_prometheus(text);
    Response res = Response::text(200, std::move(text));
    res.content_type = "text/plain; version=0.0.4";
    return res;
  });
  auto o = test_options();
  o.metrics = metrics;
  auto server = start_server(o, std::move(r));
  HttpClient c(server->port());
  ASSERT_TRUE(c.get("/metrics"));
  auto res = c.get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body().find("cx_http_requests_total{class=\"2xx\"} 1\n"), std::string::npos)
      << res->body();
  EXPECT_EQ(&server->metrics(), metrics.get());
}

TEST(HttpServer, HeadRunsTheGetHandlerWithoutABody) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.write_raw(
      "HEAD /api/ping HTTP/1.1\r\nHost: x\r\n\r\nGET /api/ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c.read_head_response();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->result_int(), 200u);
  EXPECT_EQ(sv((*head)[http::field::content_length]), "4");
  auto get = c.read_response();  // right after the headers: no body was sent
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body(), "pong");
}

TEST(HttpServer, ResponseCarriesTheHandlersHeadersAndALengthThatFramesTheBody) {
  Router r;
  r.get("/api/headers", [](const Request&) {
    Response res = Response::json(200, R"({"ok":true})");
    res.headers.emplace_back("Retry-After", "7");
    res.headers.emplace_back("Set-Cookie", "a=1; HttpOnly");
    res.headers.emplace_back("Set-Cookie", "b=2; HttpOnly");
    return res;
  });
  r.get("/api/empty", [](const Request&) {
    Response res;
    res.status = 204;
    res.body = "ignored";  // a 204 has no body, whatever the handler put there
    return res;
  });
  auto server = start_server(test_options(), std::move(r));
  HttpClient c(server->port());
  ASSERT_TRUE(c.write_raw("GET /api/headers HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /api/empty HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /api/headers HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->result_int(), 200u);
  EXPECT_EQ(first->body(), R"({"ok":true})");
  EXPECT_EQ(sv((*first)[http::field::content_type]), "application/json");
  EXPECT_EQ(sv((*first)[http::field::retry_after]), "7");
  EXPECT_EQ(first->count(http::field::set_cookie), 2u);
  EXPECT_FALSE(sv((*first)["x-request-id"]).empty());
  EXPECT_TRUE(first->keep_alive());
  auto empty = c.read_response();
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->result_int(), 204u);
  EXPECT_EQ(empty->count(http::field::content_length), 0u);
  EXPECT_TRUE(empty->body().empty());
  auto third = c.read_response();  // framed right after the 204: nothing stray between them
  ASSERT_TRUE(third);
  EXPECT_EQ(third->body(), R"({"ok":true})");
}

TEST(HttpServer, AHeaderValueWithALineBreakIsLeftOutRatherThanSplitInTwo) {
  Router r;
  r.get("/api/inject", [](const Request&) {
    Response res = Response::text(200, "fine");
    res.headers.emplace_back("X-Note", "a\r\nSet-Cookie: stolen=1");
    res.headers.emplace_back("X-Other", "kept");
    return res;
  });
  auto server = start_server(test_options(), std::move(r));
  HttpClient c(server->port());
  auto res = c.request(http::verb::get, "/api/inject");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->count(http::field::set_cookie), 0u);
  EXPECT_EQ(res->count("X-Note"), 0u);
  EXPECT_EQ(sv((*res)["X-Other"]), "kept");
  EXPECT_EQ(res->body(), "fine");
}

TEST(HttpServer, ConnectionCloseIsSentWhenTheClientAsksForIt) {
  auto server = start_server(test_options(), orders_router());
  HttpClient c(server->port());
  ASSERT_TRUE(c.write_raw("GET /api/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "pong");
  EXPECT_FALSE(res->keep_alive());
  EXPECT_EQ(sv((*res)[http::field::connection]), "close");
}

TEST(HttpServer, StartFailsCleanlyOnABadAddressOrABusyPort) {
  auto o = test_options();
  o.address = "not-an-ip";
  HttpServer bad(o, Router{});
  auto r = bad.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);

  auto first = start_server(test_options(), Router{});
  auto o2 = test_options();
  o2.port = first->port();
  HttpServer busy(o2, Router{});
  auto r2 = busy.start();
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::IoError);
}

}  // namespace
}  // namespace cx::net::test
