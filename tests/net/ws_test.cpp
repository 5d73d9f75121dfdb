#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <thread>

#include "net/ws_group.hpp"
#include "net_fixture.hpp"

namespace cx::net::test {
namespace {

ServerOptions ws_options() {
  auto o = test_options();
  o.ws.path = "/ws";
  o.ws.idle_timeout = 10s;
  return o;
}

/// Collects what the hooks see, for the test thread to wait on.
struct Observed {
  std::mutex mutex;
  std::vector<WsSessionPtr> opened;
  std::promise<std::weak_ptr<WsSession>> first_open;  // weak: the test must not keep it
  std::promise<WsCloseInfo> first_close;
  bool open_set = false;
  bool close_set = false;

  WsHandlers handlers(bool echo = true) {
    WsHandlers h;
    h.accept = [](const Request& req) {
      if (req.query_value("token") != "good") {
        return WsAcceptResult::refuse(Response::error(401, "UNAUTHORIZED", "bad token"));
      }
      return WsAcceptResult::accept(std::make_shared<std::string>(req.remote_address));
    };
    h.on_open = [this](const WsSessionPtr& s) {
      const std::lock_guard lock(mutex);
      opened.push_back(s);
      if (!open_set) {
        open_set = true;
        first_open.set_value(s);
      }
    };
    if (echo) {
      h.on_text = [](const WsSessionPtr& s, std::string_view text) {
        s->send("echo:" + std::string(text) + " from " + *s->context<std::string>());
      };
    }
    h.on_close = [this](const WsSessionPtr&, const WsCloseInfo& info) {
      const std::lock_guard lock(mutex);
      if (!close_set) {
        close_set = true;
        first_close.set_value(info);
      }
    };
    return h;
  }
};

TEST(WebSocket, AcceptHookRefusesWith401) {
  Observed seen;
  auto server = start_server(ws_options(), Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=bad");
  EXPECT_FALSE(c.open());
  EXPECT_EQ(c.handshake_response().result_int(), 401u);
  EXPECT_NE(c.handshake_response().body().find("\"code\":\"UNAUTHORIZED\""), std::string::npos);
  EXPECT_EQ(server->metrics().snapshot().ws_sessions_total, 0u);
}

TEST(WebSocket, EchoesTextWithTheContextFromAccept) {
  Observed seen;
  auto server = start_server(ws_options(), Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());
  EXPECT_EQ(c.handshake_response().result_int(), 101u);
  EXPECT_FALSE(sv(c.handshake_response()["x-request-id"]).empty());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("hi" + std::to_string(i)));
    EXPECT_EQ(c.read(), "echo:hi" + std::to_string(i) + " from 127.0.0.1");
  }
  EXPECT_EQ(server->ws_session_count(), 1u);
  EXPECT_EQ(server->metrics().snapshot().ws_sessions_active, 1u);
}

TEST(WebSocket, ADeflateOfferIsDeclinedAndMessagesGoOutUncompressed) {
  // The server frames its messages itself (net/ws_stream.hpp) and never compresses them, so it
  // must not agree to permessage-deflate: a client that offers it gets no extension back, and
  // its messages, large ones included, still arrive as plain text frames.
  Observed seen;
  auto server = start_server(ws_options(), Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good", true);
  ASSERT_TRUE(c.open());
  EXPECT_EQ(c.handshake_response().result_int(), 101u);
  EXPECT_EQ(c.handshake_response().count(http::field::sec_websocket_extensions), 0u);
  const std::string big(10'000, 'z');
  ASSERT_TRUE(c.send(big));
  EXPECT_EQ(c.read(), "echo:" + big + " from 127.0.0.1");
  ASSERT_TRUE(c.send("small"));
  EXPECT_EQ(c.read(), "echo:small from 127.0.0.1");
}

TEST(WebSocket, UpgradeOnAnotherPathIsPlainHttp) {
  Observed seen;
  auto server = start_server(ws_options(), Router{}, seen.handlers());
  WsClient c(server->port(), "/elsewhere?token=good");
  EXPECT_FALSE(c.open());
  EXPECT_EQ(c.handshake_response().result_int(), 404u);
}

TEST(WebSocket, ServerPushesFromAnotherThread) {
  Observed seen;
  auto server = start_server(ws_options(), Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());
  auto opened = seen.first_open.get_future();
  ASSERT_TRUE(ready_within(opened, kWait));
  auto session = opened.get().lock();
  ASSERT_TRUE(session);
  std::thread pusher([session] {
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(session->send("tick " + std::to_string(i)));
  });
  pusher.join();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.read(), "tick " + std::to_string(i));
  const auto until = Clock::now() + kWait;  // the last write's completion may trail the read
  while (session->queued_messages() != 0 && Clock::now() < until) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(session->queued_messages(), 0u);
}

TEST(WebSocket, SlowConsumerIsClosedWithPolicyCodeInsteadOfGrowingMemory) {
  auto o = ws_options();
  o.ws.max_queue_messages = 16;
  o.ws.max_queue_bytes = 256 * 1024;
  o.ws.close_timeout = 200ms;
  Observed seen;
  auto server = start_server(o, Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");  // and then never reads
  ASSERT_TRUE(c.open());
  auto opened = seen.first_open.get_future();
  ASSERT_TRUE(ready_within(opened, kWait));
  auto session = opened.get().lock();
  ASSERT_TRUE(session);

  const auto payload = std::make_shared<const std::string>(64 * 1024, 'x');
  int accepted = 0;
  bool refused = false;
  for (int i = 0; i < 20'000 && !refused; ++i) {
    if (session->send(payload)) {
      ++accepted;
      EXPECT_LE(session->queued_bytes(), o.ws.max_queue_bytes);
    } else {
      refused = true;
    }
  }
  ASSERT_TRUE(refused) << "accepted " << accepted << " messages without pushing back";
  EXPECT_FALSE(session->is_open());
  EXPECT_FALSE(session->send("more"));

  auto closed = seen.first_close.get_future();
  ASSERT_TRUE(ready_within(closed, kWait));
  const WsCloseInfo info = closed.get();
  EXPECT_EQ(info.code, ws_close::kPolicy);
  EXPECT_EQ(info.reason, "slow consumer");
  EXPECT_EQ(server->metrics().snapshot().ws_slow_consumer_closes, 1u);

  // The client, reading at last, gets what was in flight and then the end of the connection.
  beast::error_code ec;
  const auto deadline = Clock::now() + kWait;
  while (Clock::now() < deadline && c.read(kWait, &ec)) {
  }
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, beast::error::timeout);
}

TEST(WebSocket, PingsKeepAReadingClientAlive) {
  auto o = ws_options();
  o.ws.idle_timeout = 300ms;  // a ping after 150 ms of silence, dropped after 300 ms
  Observed seen;
  auto server = start_server(o, Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());

  // Stay silent for 700 ms with a read pending (it answers pings), then speak.
  asio::steady_timer later(c.context(), 700ms);
  later.async_wait([&](beast::error_code) {
    c.stream().text(true);
    c.stream().async_write(asio::buffer(std::string_view("still here")),
                           [](beast::error_code, std::size_t) {});
  });
  const auto t0 = Clock::now();
  auto msg = c.read(2s);
  EXPECT_EQ(msg, "echo:still here from 127.0.0.1");
  EXPECT_GE(Clock::now() - t0, 650ms);
  auto closed = seen.first_close.get_future();
  EXPECT_FALSE(ready_within(closed, 0ms));
}

TEST(WebSocket, DeadPeerIsClosedAfterIdleTimeout) {
  auto o = ws_options();
  o.ws.idle_timeout = 300ms;
  Observed seen;
  auto server = start_server(o, Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");  // never reads, so never answers a ping
  ASSERT_TRUE(c.open());
  const auto t0 = Clock::now();
  auto closed = seen.first_close.get_future();
  ASSERT_TRUE(ready_within(closed, kWait));
  EXPECT_GE(Clock::now() - t0, 250ms);
  EXPECT_EQ(closed.get().code, ws_close::kNoStatus);
  EXPECT_EQ(server->ws_session_count(), 0u);
}

TEST(WebSocket, GroupBroadcastReachesEveryMemberAndSkipsClosedOnes) {
  Observed seen;
  auto server = start_server(ws_options(), Router{}, seen.handlers());
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<WsClient>(server->port(), "/ws?token=good"));
    ASSERT_TRUE(clients.back()->open());
  }
  // Wait until the server has opened all three.
  const auto deadline = Clock::now() + kWait;
  while (server->ws_session_count() < 3 && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(server->ws_session_count(), 3u);
  WsGroup group;
  {
    const std::lock_guard lock(seen.mutex);
    for (const auto& s : seen.opened) group.add(s);
  }
  EXPECT_EQ(group.size(), 3u);
  EXPECT_EQ(group.broadcast("to the group"), 3u);
  for (auto& c : clients) EXPECT_EQ(c->read(), "to the group");
  EXPECT_EQ(server->ws_broadcast("to everyone"), 3u);
  for (auto& c : clients) EXPECT_EQ(c->read(), "to everyone");

  // One closes; its session leaves the group once released.
  clients[0]->stream().async_close(websocket::close_code::normal, [](beast::error_code) {});
  clients[0]->context().restart();
  clients[0]->context().run_for(kWait);
  auto closed = seen.first_close.get_future();
  ASSERT_TRUE(ready_within(closed, kWait));
  EXPECT_EQ(closed.get().code, ws_close::kNormal);
  {
    const std::lock_guard lock(seen.mutex);
    seen.opened.clear();  // the test's strong references
  }
  EXPECT_EQ(group.broadcast("again"), 2u);
  const auto until = Clock::now() + kWait;  // the session object goes once its handlers are done
  while (group.size() != 2 && Clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(group.size(), 2u);
}

TEST(WebSocket, StopClosesSessionsWithGoingAway) {
  Observed seen;
  auto server = start_server(ws_options(), Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());
  auto opened = seen.first_open.get_future();
  ASSERT_TRUE(ready_within(opened, kWait));
  auto stopped = std::async(std::launch::async, [&] { server->stop(); });
  beast::error_code ec;
  EXPECT_FALSE(c.read(kWait, &ec));
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(c.stream().reason().code, ws_close::kGoingAway);
  ASSERT_TRUE(ready_within(stopped, kWait));
  auto closed = seen.first_close.get_future();
  ASSERT_TRUE(ready_within(closed, 0ms));
  EXPECT_EQ(closed.get().code, ws_close::kGoingAway);
}

TEST(WebSocket, BinaryMessageClosesWith1003) {
  Observed seen;
  auto server = start_server(ws_options(), Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());
  c.stream().binary(true);
  c.stream().async_write(asio::buffer(std::string_view("\x01\x02")),
                         [](beast::error_code, std::size_t) {});
  beast::error_code ec;
  EXPECT_FALSE(c.read(kWait, &ec));
  EXPECT_NE(ec, beast::error::timeout);
  auto closed = seen.first_close.get_future();
  ASSERT_TRUE(ready_within(closed, kWait));
  EXPECT_EQ(closed.get().code, ws_close::kUnsupported);
}

TEST(WebSocket, OversizedMessageClosesWith1009) {
  auto o = ws_options();
  o.ws.max_message_bytes = 1024;
  Observed seen;
  auto server = start_server(o, Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());
  EXPECT_TRUE(c.send(std::string(4096, 'z')));
  beast::error_code ec;
  EXPECT_FALSE(c.read(kWait, &ec));  // Beast fails the connection: close frame, then drop
  EXPECT_NE(ec, beast::error::timeout);
  auto closed = seen.first_close.get_future();
  ASSERT_TRUE(ready_within(closed, kWait));
  EXPECT_EQ(closed.get().code, ws_close::kTooBig);
}

/// Waits for the hook to see the first session; null after kWait.
WsSessionPtr first_session(Observed& seen) {
  auto opened = seen.first_open.get_future();
  if (!ready_within(opened, kWait)) return nullptr;
  return opened.get().lock();
}

TEST(WebSocket, BurstsArriveWholeAndInOrderWithPongsAndEchoesBetweenThem) {
  auto o = ws_options();
  o.ws.max_queue_messages = 4096;
  o.ws.max_queue_bytes = 64 << 20;
  Observed seen;
  auto server = start_server(o, Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());
  auto session = first_session(seen);
  ASSERT_TRUE(session);
  int pongs = 0;
  c.stream().control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ++pongs;
  });

  // Every length class of a frame header (7-bit, 16-bit, 64-bit), singly and several at once.
  const std::size_t sizes[] = {0, 1, 125, 126, 127, 4096, 65535, 65536, 70'000};
  std::vector<std::string> expected;
  std::thread pusher([&] {
    for (int round = 0; round < 20; ++round) {
      std::vector<std::shared_ptr<const std::string>> several;
      for (std::size_t size : sizes) {
        std::string text(size, static_cast<char>('a' + round));
        if (size > 0) text[0] = static_cast<char>('0' + (size % 10));
        expected.push_back(text);
        if (round % 2 == 0) {
          EXPECT_TRUE(session->send(std::move(text)));
        } else {
          several.push_back(std::make_shared<const std::string>(std::move(text)));
        }
      }
      if (!several.empty()) {
        EXPECT_TRUE(session->send(several));
      }
    }
  });
  // Pings (one at a time, as Beast requires), then a message to echo, while the server writes:
  // each pong is queued before the echo, so all three arrive before it.
  std::function<void(int)> ping = [&](int left) {
    if (left == 0) {
      c.stream().text(true);
      c.stream().async_write(asio::buffer(std::string_view("mid")),
                             [](beast::error_code, std::size_t) {});
      return;
    }
    c.stream().async_ping({}, [&, left](beast::error_code ec) {
      if (!ec) ping(left - 1);
    });
  };
  ping(3);
  pusher.join();
  std::size_t next = 0;
  bool echoed = false;
  while (next < expected.size() || !echoed) {
    auto msg = c.read();
    ASSERT_TRUE(msg) << "after " << next << " of " << expected.size();
    if (*msg == "echo:mid from 127.0.0.1") {
      EXPECT_FALSE(echoed);
      echoed = true;
      continue;
    }
    ASSERT_LT(next, expected.size());
    ASSERT_EQ(msg->size(), expected[next].size()) << "message " << next;
    EXPECT_EQ(*msg, expected[next]) << "message " << next;
    ++next;
  }
  EXPECT_EQ(pongs, 3);
  EXPECT_EQ(server->metrics().snapshot().ws_messages_out, expected.size() + 1);
}

TEST(WebSocket, SeveralMessagesAreQueuedAllOrNone) {
  auto o = ws_options();
  o.ws.max_queue_messages = 4;
  o.ws.close_timeout = 500ms;
  Observed seen;
  auto server = start_server(o, Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());
  auto session = first_session(seen);
  ASSERT_TRUE(session);
  auto msgs = [](std::initializer_list<const char*> texts) {
    std::vector<std::shared_ptr<const std::string>> out;
    for (const char* t : texts) out.push_back(std::make_shared<const std::string>(t));
    return out;
  };
  EXPECT_TRUE(session->send(msgs({"a", "b", "c"})));
  EXPECT_EQ(c.read(), "a");
  EXPECT_EQ(c.read(), "b");
  EXPECT_EQ(c.read(), "c");
  EXPECT_FALSE(session->send(msgs({"1", "2", "3", "4", "5"})));  // more than the queue holds
  EXPECT_FALSE(session->is_open());
  beast::error_code ec;
  EXPECT_FALSE(c.read(kWait, &ec));  // none of the five, then our close frame
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(c.stream().reason().code, ws_close::kPolicy);
}

TEST(WebSocket, ClientCloseIsAnsweredAfterTheMessagesInFlight) {
  auto o = ws_options();
  o.ws.max_queue_bytes = 64 << 20;
  Observed seen;
  auto server = start_server(o, Router{}, seen.handlers());
  WsClient c(server->port(), "/ws?token=good");
  ASSERT_TRUE(c.open());
  auto session = first_session(seen);
  ASSERT_TRUE(session);
  const auto payload = std::make_shared<const std::string>(16 * 1024, 'q');
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(session->send(payload));
  beast::error_code result = asio::error::would_block;
  c.stream().async_close(websocket::close_code::normal, [&](beast::error_code ec) { result = ec; });
  c.context().restart();
  c.context().run_for(kWait);
  EXPECT_FALSE(result) << result.message();  // our close frame came back: a clean handshake
  auto closed = seen.first_close.get_future();
  ASSERT_TRUE(ready_within(closed, kWait));
  EXPECT_EQ(closed.get().code, ws_close::kNormal);
}

}  // namespace
}  // namespace cx::net::test
