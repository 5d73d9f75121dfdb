#pragma once
/// The load benchmarks' view of the server: the real `cxmpute serve` binary started as a child
/// process on a fresh data directory, plain blocking HTTP for set-up (login through the outbox,
/// admin calls), and the child's resident memory.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cx::bench::server {

/// Status and body of one HTTP/1.1 request.
struct HttpResult {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// One blocking request on a new connection (set-up only; not for measuring).
HttpResult http(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& body = {},
                const std::vector<std::pair<std::string, std::string>>& headers = {});

/// Extracts "key":"value" (a string value) from flat JSON text; "" when absent.
std::string json_string(const std::string& json, const std::string& key);

/// A free TCP port on 127.0.0.1.
std::uint16_t free_port();

class ServerProcess {
 public:
  /// Starts `binary serve --data <tmp> --port <free>` with `env` added, and waits for /readyz.
  ServerProcess(const std::string& binary, const std::vector<std::string>& env,
                const std::vector<std::string>& extra_args = {});
  /// SIGTERM, wait, remove the data directory.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  /// VmRSS of the server process, bytes.
  std::int64_t rss_bytes() const;
  /// CPU time (user + system) of each of the server's threads so far, seconds, summed by thread
  /// name (the I/O threads share one name).
  std::map<std::string, double> thread_cpu_seconds() const;

  struct Login {
    std::string access;      ///< access token (Authorization: Bearer)
    std::string trader_key;  ///< traderAk secret
    std::string user_id;
  };
  /// Logs in through the email-code flow (the code is read from the data directory's outbox).
  Login login(const std::string& email);

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

/// The cxmpute binary the benchmarks start (CX_BINARY at build time; overridable with the
/// CX_BENCH_BINARY environment variable).
std::string cxmpute_binary();

}  // namespace cx::bench::server
