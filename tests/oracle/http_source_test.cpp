// HTTP sources against a real local server (net::HttpServer on 127.0.0.1, an ephemeral port).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "net/http_server.hpp"
#include "net/router.hpp"
#include "oracle/http_source.hpp"

namespace cx::oracle {
namespace {

using namespace std::chrono_literals;

class HttpSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net::Router r;
    r.get("/v1/cryptocurrency/quotes/latest", [this](const net::Request& req) {
      ++cmc_calls;
      last_symbols = std::string(req.query_value("symbol").value_or(""));
      if (req.header("X-CMC_PRO_API_KEY").value_or("") != "secret-key") {
        return net::Response::json(
            401, R"({"status":{"error_code":1002,"error_message":"API key missing."}})");
      }
      return net::Response::json(200, R"({"status":{"error_code":0},"data":{
        "BTC":{"quote":{"USD":{"price":60123.45,"last_updated":"2024-05-01T12:34:00.000Z"}}},
        "ETH":{"quote":{"USD":{"price":3000.25}}}}})");
    });
    r.get("/simple/price", [](const net::Request&) {
      return net::Response::json(200, R"({"bitcoin":{"usd":61000.5}})");
    });
    r.get("/broken",
          [](const net::Request&) { return net::Response::json(500, R"({"error":"down"})"); });
    net::ServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.io_threads = 1;
    server = std::make_unique<net::HttpServer>(o, std::move(r));
    ASSERT_TRUE(server->start().has_value());
    base = "http://127.0.0.1:" + std::to_string(server->port());
  }
  void TearDown() override { server->stop(); }

  std::unique_ptr<net::HttpServer> server;
  std::string base;
  std::atomic<int> cmc_calls{0};
  std::string last_symbols;
};

TEST_F(HttpSourceTest, CmcSendsTheKeyAndReadsEachSymbol) {
  HttpSourceOptions o;
  o.kind = HttpSourceOptions::Kind::Cmc;
  o.url = base + "/";
  o.api_key = "secret-key";
  o.symbols = {"btc", "ETH"};
  o.timeout = 5s;
  HttpSource src(o);
  EXPECT_EQ(src.request_url(), base + "/v1/cryptocurrency/quotes/latest?symbol=BTC,ETH");
  const Timestamp now = 1'714'567'000'000;
  auto q = src.poll(now);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(last_symbols, "BTC,ETH");
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[0].underlying, "BTC");
  EXPECT_EQ((*q)[0].price, 6'012'345'000'000);
  EXPECT_EQ((*q)[0].ts, 1'714'566'840'000);
  EXPECT_EQ((*q)[1].underlying, "ETH");
  EXPECT_EQ((*q)[1].price, 300'025'000'000);
  EXPECT_EQ((*q)[1].ts, now);
}

TEST_F(HttpSourceTest, CmcWithAWrongKeyFails) {
  HttpSourceOptions o;
  o.kind = HttpSourceOptions::Kind::Cmc;
  o.url = base;
  o.api_key = "wrong";
  o.symbols = {"BTC"};
  HttpSource src(o);
  auto q = src.poll(0);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::Unavailable);
  EXPECT_NE(q.error().message.find("401"), std::string::npos) << q.error().message;
  EXPECT_EQ(cmc_calls.load(), 1);
}

TEST_F(HttpSourceTest, GenericJsonReadsThePriceAtItsPath) {
  HttpSourceOptions o;
  o.kind = HttpSourceOptions::Kind::Json;
  o.url = base + "/simple/price?ids=bitcoin&vs_currencies=usd";
  o.path = "bitcoin.usd";
  o.underlying = "btc";
  HttpSource src(o);
  EXPECT_EQ(src.name(), "json:BTC");
  auto q = src.poll(77);
  ASSERT_TRUE(q) << q.error().message;
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].underlying, "BTC");
  EXPECT_EQ((*q)[0].price, 6'100'050'000'000);
  EXPECT_EQ((*q)[0].ts, 77);
  o.path = "bitcoin.eur";
  EXPECT_FALSE(HttpSource(o).poll(77));
}

TEST_F(HttpSourceTest, ServerErrorsAndUnreachableServersFail) {
  HttpSourceOptions o;
  o.url = base + "/broken";
  o.path = "price";
  o.underlying = "BTC";
  auto q = HttpSource(o).poll(0);
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message.find("500"), std::string::npos);
  // A port nothing listens on any more.
  const std::string gone = base + "/simple/price";
  server->stop();
  o.url = gone;
  o.timeout = 2s;
  auto r = HttpSource(o).poll(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
}

}  // namespace
}  // namespace cx::oracle
