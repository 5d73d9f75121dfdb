#include "gateway/setup.hpp"

#include <chrono>
#include <stdexcept>

namespace cx::bench::gateway {

namespace {

using server::http;
using server::HttpResult;
using server::json_string;

std::string bearer(const std::string& token) {
  return "Bearer " + token;
}

/// A new key of `kind` for the session `access`: its secret.
std::string new_key(std::uint16_t port, const std::string& access, const std::string& kind) {
  const HttpResult r = http(port, "POST", "/api/user/keys", R"({"kind":")" + kind + R"("})",
                            {{"Authorization", bearer(access)}});
  const std::string secret = json_string(r.body, "secret");
  if (r.status != 201 || secret.empty()) {
    throw std::runtime_error("creating a " + kind + ": " + std::to_string(r.status) + " " + r.body);
  }
  return secret;
}

}  // namespace

std::string post_request(const std::string& path, const std::string& key, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

GatewayUnderTest::GatewayUnderTest(std::uint16_t stub_port, const std::string& stub_secret)
    : server_(server::cxmpute_binary(),
              {"CX_RATE_KEY_BURST=0", "CX_RATE_IP_BURST=0", "CX_MAX_CONNECTIONS=100000"},
              {"--address", "127.0.0.1", "--admin-emails", "admin@bench.local"}) {
  const std::uint16_t p = server_.port();
  const std::string admin = server_.login("admin@bench.local").access;
  const auto user = server_.login("user@bench.local");
  user_key_ = new_key(p, user.access, "userAk");
  provider_key_ = new_key(p, user.access, "providerAk");
  const HttpResult g = http(p, "POST", "/api/admin/credits",
                            R"({"userId":")" + user.user_id + R"(","amount":"1000000"})",
                            {{"Authorization", bearer(admin)}});
  if (g.status / 100 != 2) {
    throw std::runtime_error("granting credits: " + std::to_string(g.status) + " " + g.body);
  }
  const HttpResult n =
      http(p, "POST", "/api/providers/nodes",
           R"({"endpoint":"http://127.0.0.1:)" + std::to_string(stub_port) + R"(","secret":")" +
               stub_secret + R"(","offers":[{"service":"chat","model":"bench"}]})",
           {{"Authorization", bearer(provider_key_)}});
  node_id_ = json_string(n.body, "nodeId");
  if (n.status != 201 || node_id_.empty()) {
    throw std::runtime_error("registering the stub node: " + std::to_string(n.status) + " " +
                             n.body);
  }
  heartbeats_ = std::thread([this, p] {
    int ticks = 0;
    while (!stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (++ticks % 20 != 0) continue;  // every 2 s
      http(p, "POST", "/api/providers/nodes/" + node_id_ + "/heartbeat", R"({"inFlight":0})",
           {{"Authorization", bearer(provider_key_)}});
    }
  });
}

GatewayUnderTest::~GatewayUnderTest() {
  stop_ = true;
  if (heartbeats_.joinable()) heartbeats_.join();
}

}  // namespace cx::bench::gateway
