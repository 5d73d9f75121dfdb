// HttpServer::client(): an HttpClient on the server's own I/O threads, used from handlers (the AI
// gateway's upstream calls), and its shutdown with the server.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "net/http_client.hpp"
#include "net_fixture.hpp"

namespace cx::net::test {
namespace {

using Client = ::cx::net::HttpClient;  // the fixture has a test client of the same name

/// An upstream server with GET /up -> "up".
std::unique_ptr<HttpServer> upstream() {
  Router r;
  r.get("/up", [](const Request&) { return Response::text(200, "up"); });
  return start_server(test_options(), std::move(r));
}

/// A front server whose GET /proxy calls upstream /up through the server's own client and
/// answers "<upstream body> same-thread" or "... other-thread" (the callback's thread against the
/// handler's).
struct Front {
  std::shared_ptr<Client> client;
  std::unique_ptr<HttpServer> server;

  explicit Front(std::uint16_t upstream_port) {
    auto holder = std::make_shared<std::shared_ptr<Client>>();
    Router r;
    r.add_async(Method::Get, "/proxy", [holder, upstream_port](const Request&, Reply reply) {
      const auto handler_thread = std::this_thread::get_id();
      (*holder)->request(
          client_get(upstream_port, "/up"), [reply, handler_thread](ClientResult res) {
            if (!res.ok()) return reply(Response::error(502, "UPSTREAM", res.error.message));
            const bool same = std::this_thread::get_id() == handler_thread;
            reply(Response::text(200, res.body + (same ? " same-thread" : " other-thread")));
          });
    });
    server = std::make_unique<HttpServer>(test_options(), std::move(r));
    client = server->client();
    *holder = client;
    const auto started = server->start();
    EXPECT_TRUE(started.has_value()) << (started ? "" : started.error().message);
  }
};

TEST(ServerClient, AnUpstreamCallFromAHandlerCompletesOnTheHandlersThread) {
  auto up = upstream();
  Front front(up->port());
  HttpClient user(front.server->port());
  ASSERT_TRUE(user.connected());
  for (int i = 0; i < 5; ++i) {
    const auto res = user.request(http::verb::get, "/proxy");
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->result_int(), 200u);
    EXPECT_EQ(res->body(), "up same-thread");
  }
  // One user connection stays on one I/O thread, and so does its pool: one upstream connection.
  const ClientStats s = front.client->stats();
  EXPECT_EQ(s.requests, 5u);
  EXPECT_EQ(s.connections_opened, 1u);
  EXPECT_EQ(s.connections_reused, 4u);
}

TEST(ServerClient, ConnectionsSpreadOverTheIoThreadsEachKeepTheirOwnPool) {
  auto up = upstream();
  Front front(up->port());
  std::vector<std::unique_ptr<HttpClient>> users;
  for (int i = 0; i < 4; ++i) {
    users.push_back(std::make_unique<HttpClient>(front.server->port()));
    ASSERT_TRUE(users.back()->connected());
  }
  for (int round = 0; round < 3; ++round) {
    for (auto& u : users) {
      const auto res = u->request(http::verb::get, "/proxy");
      ASSERT_TRUE(res.has_value());
      EXPECT_EQ(res->body(), "up same-thread");
    }
  }
  // Sequential calls: at most one upstream connection per I/O thread (two).
  EXPECT_LE(front.client->stats().connections_opened, 2u);
  EXPECT_EQ(front.client->stats().requests, 12u);
}

TEST(ServerClient, StopShutsTheClientDownAndTheClientMayOutliveTheServer) {
  auto up = upstream();
  std::shared_ptr<Client> client;
  {
    Front front(up->port());
    client = front.client;
    HttpClient user(front.server->port());
    ASSERT_TRUE(user.connected());
    const auto res = user.request(http::verb::get, "/proxy");
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->body(), "up same-thread");
    EXPECT_EQ(client->idle_connections(), 1u);
    front.server->stop();
    EXPECT_EQ(client->idle_connections(), 0u);
    const ClientResult after_stop = client_call(*client, client_get(up->port(), "/up"));
    EXPECT_EQ(after_stop.error.code, ClientErrc::Shutdown);
  }
  // The server is gone; its client refuses at once, on this thread.
  const ClientResult late = client_call(*client, client_get(up->port(), "/up"));
  EXPECT_EQ(late.error.code, ClientErrc::Shutdown);
  client.reset();
}

TEST(ServerClient, ANeverStartedServerShutsItsClientDown) {
  auto up = upstream();
  std::shared_ptr<Client> client;
  {
    HttpServer server(test_options(), Router{});
    client = server.client();
    EXPECT_EQ(server.client(), client);  // one client per server
  }
  const ClientResult r = client_call(*client, client_get(up->port(), "/up"));
  EXPECT_EQ(r.error.code, ClientErrc::Shutdown);
}

TEST(ServerClient, ARequestFromAnotherThreadWorksToo) {
  auto up = upstream();
  Front front(up->port());
  const ClientResult r = client_call(*front.client, client_get(up->port(), "/up"));
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.body, "up");
}

}  // namespace
}  // namespace cx::net::test
