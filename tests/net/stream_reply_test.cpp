// Streamed responses (Reply::stream / StreamWriter) against a real server on 127.0.0.1.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "net_fixture.hpp"

namespace cx::net::test {
namespace {

/// A raw keep-alive connection that reads a chunked response piece by piece: every complete
/// chunk the server framed is one entry of chunks().
class ChunkedReader {
 public:
  explicit ChunkedReader(std::uint16_t port) {
    stream_.expires_after(kWait);
    beast::error_code result = asio::error::would_block;
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code ec) { result = ec; });
    run();
    connected_ = !result;
  }

  bool connected() const { return connected_; }

  bool send(std::string_view raw) {
    stream_.expires_after(kWait);
    beast::error_code result = asio::error::would_block;
    asio::async_write(stream_, asio::buffer(raw.data(), raw.size()),
                      [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return !result;
  }

  /// Reads the head of the next response; false on error or timeout.
  bool read_head(bool head_request = false) {
    parser_.emplace();
    parser_->skip(head_request);
    parser_->on_chunk_body(on_chunk_);
    stream_.expires_after(kWait);
    beast::error_code result = asio::error::would_block;
    http::async_read_header(stream_, buffer_, *parser_,
                            [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return !result;
  }

  const http::response<http::empty_body>& head() const { return parser_->get(); }

  /// Reads until `count` chunks in all have arrived or the body is complete; false on error or
  /// timeout (the connection is then unusable).
  bool read_chunks(std::size_t count) {
    while (chunks_.size() < count && !parser_->is_done()) {
      if (!read_some()) return false;
    }
    return chunks_.size() >= count;
  }

  /// Reads to the end of the body; false if the connection ended first.
  bool read_to_end() {
    while (!parser_->is_done()) {
      if (!read_some()) return false;
    }
    return true;
  }

  bool body_done() const { return parser_ && parser_->is_done(); }
  const std::vector<std::string>& chunks() const { return chunks_; }

  /// A whole (non-streamed or streamed) response to a plain request on the same connection.
  std::optional<HttpResponse> get(std::string_view target) {
    if (!send(std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n")) {
      return std::nullopt;
    }
    return read_response();
  }

  /// The next whole response on the connection.
  std::optional<HttpResponse> read_response() {
    stream_.expires_after(kWait);
    HttpResponse res;
    beast::error_code result = asio::error::would_block;
    http::async_read(stream_, buffer_, res,
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    if (result) return std::nullopt;
    return res;
  }

  /// True if the server closes the connection within kWait (pending bytes are discarded).
  bool wait_closed() {
    stream_.expires_after(kWait);
    for (;;) {
      beast::error_code result = asio::error::would_block;
      stream_.async_read_some(buffer_.prepare(64 * 1024),
                              [&](beast::error_code ec, std::size_t) { result = ec; });
      run();
      if (result == beast::error::timeout) return false;
      if (result) return true;
    }
  }

  /// Everything the server sends until it closes; nullopt on timeout.
  std::optional<std::string> read_until_closed() {
    stream_.expires_after(kWait);
    for (;;) {
      beast::error_code result = asio::error::would_block;
      std::size_t n = 0;
      stream_.async_read_some(buffer_.prepare(64 * 1024), [&](beast::error_code ec, std::size_t k) {
        result = ec;
        n = k;
      });
      run();
      buffer_.commit(n);
      if (result == beast::error::timeout) return std::nullopt;
      if (result) return beast::buffers_to_string(buffer_.data());
    }
  }

  void close() { stream_.close(); }

 private:
  bool read_some() {
    stream_.expires_after(kWait);
    beast::error_code result = asio::error::would_block;
    http::async_read_some(stream_, buffer_, *parser_,
                          [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return !result;
  }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::empty_body>> parser_;
  std::string partial_;
  std::vector<std::string> chunks_;
  std::function<std::size_t(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk_ =
      [this](std::uint64_t remain, beast::string_view body, beast::error_code&) {
        partial_.append(body.data(), body.size());
        if (remain == body.size()) chunks_.push_back(std::exchange(partial_, {}));
        return body.size();
      };
  bool connected_ = false;
};

std::string get_request(std::string_view target, std::string_view extra_headers = {}) {
  std::string r = "GET ";
  r.append(target);
  r.append(" HTTP/1.1\r\nHost: x\r\n");
  r.append(extra_headers);
  r.append("\r\n");
  return r;
}

Response event_stream_head() {
  Response head;
  head.status = 200;
  head.content_type = "text/event-stream";
  head.headers.emplace_back("Cache-Control", "no-cache");
  return head;
}

/// A server whose /stream route hands its StreamWriter to the test (one per request).
struct ParkedStreams {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<StreamWriter> writers;

  Router router() {
    Router r;
    r.add_async(Method::Get, "/stream", [this](const Request&, Reply reply) {
      StreamWriter w = reply.stream(event_stream_head());
      {
        const std::lock_guard lock(mutex);
        writers.push_back(std::move(w));
      }
      cv.notify_all();
    });
    r.get("/api/ping", [](const Request&) { return Response::text(200, "pong"); });
    return r;
  }

  /// The writer of the n-th streamed request (0-based), moved out of the list.
  std::optional<StreamWriter> take(std::size_t n) {
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, kWait, [&] { return writers.size() > n; })) return std::nullopt;
    return std::exchange(writers[n], StreamWriter{});
  }
};

/// A promise that on_close resolves.
struct CloseFlag {
  std::shared_ptr<std::promise<void>> promise = std::make_shared<std::promise<void>>();
  std::future<void> future = promise->get_future();
  std::function<void()> hook() {
    return [p = promise] { p->set_value(); };
  }
  bool fired() { return future.wait_for(kWait) == std::future_status::ready; }
};

TEST(StreamedResponse, ChunksArriveInOrderAndFinishEndsTheBody) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream")));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  CloseFlag closed;
  writer->on_close(closed.hook());

  ASSERT_TRUE(c.read_head());
  EXPECT_EQ(c.head().result_int(), 200u);
  EXPECT_TRUE(c.head().chunked());
  EXPECT_EQ(sv(c.head()[http::field::content_type]), "text/event-stream");
  EXPECT_EQ(sv(c.head()["cache-control"]), "no-cache");
  EXPECT_FALSE(sv(c.head()["x-request-id"]).empty());

  EXPECT_TRUE(writer->write("data: one\n\n"));
  ASSERT_TRUE(c.read_chunks(1));
  EXPECT_EQ(c.chunks()[0], "data: one\n\n");
  for (int i = 2; i <= 5; ++i) EXPECT_TRUE(writer->write("data: " + std::to_string(i) + "\n\n"));
  writer->finish();
  writer->finish();  // idempotent
  EXPECT_TRUE(writer->closed());
  EXPECT_FALSE(writer->write("too late"));
  ASSERT_TRUE(c.read_to_end());
  std::string body;
  for (const auto& chunk : c.chunks()) body += chunk;
  EXPECT_EQ(body, "data: one\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\n");
  EXPECT_TRUE(closed.fired());
}

TEST(StreamedResponse, KeepAliveContinuesAfterAStreamedResponseAndMetricsCountIt) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  for (std::size_t round = 0; round < 2; ++round) {
    ASSERT_TRUE(c.send(get_request("/stream")));
    auto writer = parked.take(round);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(c.read_head());
    EXPECT_TRUE(c.head().keep_alive());
    EXPECT_TRUE(writer->write("x"));
    writer->finish();
    ASSERT_TRUE(c.read_to_end());
  }
  auto res = c.get("/api/ping");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "pong");
  const auto m = server->metrics().snapshot();
  EXPECT_EQ(m.http_connections_total, 1u);
  EXPECT_EQ(m.requests_by_class[1], 3u);
}

TEST(StreamedResponse, ARequestPipelinedDuringAStreamIsServedAfterIt) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream")));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(c.read_head());
  writer->write("before");
  ASSERT_TRUE(c.read_chunks(1));
  // The next request arrives while the body is still going.
  ASSERT_TRUE(c.send(get_request("/api/ping")));
  writer->write("after");
  writer->finish();
  ASSERT_TRUE(c.read_to_end());
  ASSERT_EQ(c.chunks().size(), 2u);
  EXPECT_EQ(c.chunks()[1], "after");
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "pong");
}

TEST(StreamedResponse, ClientDisconnectRunsOnCloseAndWriteReturnsFalse) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream")));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  CloseFlag closed;
  writer->on_close(closed.hook());
  ASSERT_TRUE(c.read_head());
  EXPECT_TRUE(writer->write("first"));
  ASSERT_TRUE(c.read_chunks(1));

  c.close();  // the client goes away while the producer is idle
  EXPECT_TRUE(closed.fired());
  EXPECT_TRUE(writer->closed());
  EXPECT_FALSE(writer->write("nobody is listening"));
  EXPECT_EQ(writer->queued_bytes(), 0u);
}

TEST(StreamedResponse, OnCloseRegisteredAfterTheEndRunsAtOnce) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream")));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(c.read_head());
  CloseFlag first;
  writer->on_close(first.hook());
  writer->finish();
  ASSERT_TRUE(c.read_to_end());
  ASSERT_TRUE(first.fired());
  bool ran = false;
  writer->on_close([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(StreamedResponse, DroppedWriterFinishesTheStream) {
  Router r;
  r.add_async(Method::Get, "/stream", [](const Request&, Reply reply) {
    const StreamWriter w = reply.stream(event_stream_head());
    w.write("only chunk");
  });  // every copy of the writer is gone here
  auto server = start_server(test_options(), std::move(r));
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream")));
  ASSERT_TRUE(c.read_head());
  ASSERT_TRUE(c.read_to_end());
  ASSERT_EQ(c.chunks().size(), 1u);
  EXPECT_EQ(c.chunks()[0], "only chunk");
}

TEST(StreamedResponse, HandlerTimeoutDoesNotCutAStream) {
  auto o = test_options();
  o.handler_timeout = 100ms;
  std::thread producer;
  Router r;
  r.add_async(Method::Get, "/stream", [&](const Request&, Reply reply) {
    producer = std::thread([w = reply.stream(event_stream_head())] {
      std::this_thread::sleep_for(400ms);  // well past handler_timeout
      w.write("late but fine");
      w.finish();
    });
  });
  auto server = start_server(o, std::move(r));
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream")));
  ASSERT_TRUE(c.read_head());
  EXPECT_EQ(c.head().result_int(), 200u);
  EXPECT_TRUE(c.read_to_end());
  ASSERT_EQ(c.chunks().size(), 1u);
  EXPECT_EQ(c.chunks()[0], "late but fine");
  producer.join();
}

TEST(StreamedResponse, HeadRequestGetsTheHeadOnlyAndTheWriterIsClosed) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  CloseFlag closed;
  writer->on_close(closed.hook());
  ASSERT_TRUE(c.read_head(true));
  EXPECT_EQ(c.head().result_int(), 200u);
  EXPECT_TRUE(c.head().chunked());  // what GET would say
  EXPECT_TRUE(closed.fired());
  EXPECT_FALSE(writer->write("no body for HEAD"));
  auto res = c.get("/api/ping");  // no stray body bytes before the next response
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "pong");
}

TEST(StreamedResponse, ConnectionCloseClosesAfterTheLastChunk) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream", "Connection: close\r\n")));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(c.read_head());
  EXPECT_FALSE(c.head().keep_alive());
  writer->write("bye");
  writer->finish();
  ASSERT_TRUE(c.read_to_end());
  EXPECT_TRUE(c.wait_closed());
}

TEST(StreamedResponse, Http10ClientGetsAnUnframedBodyEndedByClose) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send("GET /stream HTTP/1.0\r\nHost: x\r\n\r\n"));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  writer->write("plain ");
  writer->write("bytes");
  writer->finish();
  const auto raw = c.read_until_closed();
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->find("Transfer-Encoding"), std::string::npos) << *raw;
  EXPECT_NE(raw->find("Connection: close\r\n"), std::string::npos) << *raw;
  EXPECT_TRUE(raw->ends_with("\r\n\r\nplain bytes")) << *raw;
}

TEST(StreamedResponse, AbortClosesTheConnectionWithoutTheLastChunk) {
  ParkedStreams parked;
  auto server = start_server(test_options(), parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream")));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  CloseFlag closed;
  writer->on_close(closed.hook());
  ASSERT_TRUE(c.read_head());
  writer->write("partial");
  ASSERT_TRUE(c.read_chunks(1));
  writer->abort();
  EXPECT_TRUE(closed.fired());
  EXPECT_FALSE(c.read_to_end());  // the connection ended mid-body
  EXPECT_FALSE(c.body_done());
  EXPECT_FALSE(writer->write("more"));
}

TEST(StreamedResponse, AClientThatDoesNotReadIsClosedAtTheQueueBound) {
  auto o = test_options();
  o.max_stream_queue_bytes = 64 * 1024;
  ParkedStreams parked;
  auto server = start_server(o, parked.router());
  ChunkedReader c(server->port());
  ASSERT_TRUE(c.send(get_request("/stream")));
  auto writer = parked.take(0);
  ASSERT_TRUE(writer);
  CloseFlag closed;
  writer->on_close(closed.hook());
  ASSERT_TRUE(c.read_head());
  // The client reads nothing more: the socket buffers fill, then the queue.
  const std::string chunk(16 * 1024, 'z');
  bool refused = false;
  for (int i = 0; i < 100'000 && !refused; ++i) {
    refused = !writer->write(chunk);
    if (i % 64 == 63) std::this_thread::yield();
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(closed.fired());
  EXPECT_LE(writer->queued_bytes(), o.max_stream_queue_bytes);
  EXPECT_TRUE(c.wait_closed());
}

TEST(StreamedResponse, StreamAfterAReplyGivesAClosedWriter) {
  std::promise<StreamWriter> got;
  Router r;
  r.add_async(Method::Get, "/twice", [&](const Request&, Reply reply) {
    reply(Response::text(200, "whole"));
    got.set_value(reply.stream(event_stream_head()));
  });
  auto server = start_server(test_options(), std::move(r));
  HttpClient c(server->port());
  auto res = c.get("/twice");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "whole");
  const StreamWriter w = got.get_future().get();
  EXPECT_TRUE(w.closed());
  EXPECT_FALSE(w.write("x"));
}

TEST(StreamedResponse, ReplyToCollectsAStreamIntoOneResponse) {
  std::optional<Response> delivered;
  const Reply reply = Reply::to([&](Response r) { delivered = std::move(r); });
  bool closed = false;
  {
    const StreamWriter w = reply.stream(event_stream_head());
    w.on_close([&] { closed = true; });
    EXPECT_TRUE(w.write("a"));
    EXPECT_TRUE(w.write("b"));
    EXPECT_FALSE(delivered);
  }  // dropped: finished
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->status, 200u);
  EXPECT_EQ(delivered->content_type, "text/event-stream");
  EXPECT_EQ(delivered->body, "ab");
  EXPECT_TRUE(closed);
  EXPECT_TRUE(reply.done());
}

}  // namespace
}  // namespace cx::net::test
