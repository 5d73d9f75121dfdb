#pragma once
/// The gateway under test, ready for traffic: `cxmpute serve` on a fresh data directory (rate
/// limits off), a user with a userAk and a million credits, and the stub registered as a node
/// of the "chat"/"bench" pool by a provider, kept healthy by a heartbeat thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "server/server_proc.hpp"

namespace cx::bench::gateway {

class GatewayUnderTest {
 public:
  /// Starts the server and does the set-up; throws std::runtime_error with the failing step.
  GatewayUnderTest(std::uint16_t stub_port, const std::string& stub_secret);
  /// Stops the heartbeats, then the server (by PID).
  ~GatewayUnderTest();
  GatewayUnderTest(const GatewayUnderTest&) = delete;
  GatewayUnderTest& operator=(const GatewayUnderTest&) = delete;

  std::uint16_t port() const noexcept { return server_.port(); }
  pid_t pid() const noexcept { return server_.pid(); }
  const std::string& user_key() const noexcept { return user_key_; }

 private:
  server::ServerProcess server_;
  std::string user_key_;
  std::string provider_key_;
  std::string node_id_;
  std::atomic<bool> stop_{false};
  std::thread heartbeats_;
};

/// "POST <path> HTTP/1.1" with a JSON body, keep-alive, Bearer `key`.
std::string post_request(const std::string& path, const std::string& key, const std::string& body);

}  // namespace cx::bench::gateway
