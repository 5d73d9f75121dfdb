#pragma once
/// The yardstick: Debian's nginx as a keep-alive reverse proxy (proxy_pass) to the stub,
/// configured in a temporary directory and run in the foreground as a child (stopped by PID).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "gateway/child.hpp"

namespace cx::bench::gateway {

/// The nginx binary: /usr/sbin/nginx, installed with `apt-get install -y nginx-light` (then
/// `nginx`) when missing. Empty when it is not available; `why` says why.
std::string find_or_install_nginx(std::string& why);

class NginxProxy {
 public:
  /// Starts `binary` proxying 127.0.0.1:<port()> to 127.0.0.1:`upstream_port`, and waits until
  /// it accepts connections; throws std::runtime_error if it does not start.
  NginxProxy(const std::string& binary, std::uint16_t upstream_port);
  /// Stops nginx by PID and removes the temporary directory.
  ~NginxProxy();
  NginxProxy(const NginxProxy&) = delete;
  NginxProxy& operator=(const NginxProxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Child> process_;
};

}  // namespace cx::bench::gateway
