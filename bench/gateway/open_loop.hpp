#pragma once
/// An open-loop HTTP load generator: requests are due at a constant rate (t0 + k / rate),
/// whatever the responses do, and go out on a pool of keep-alive connections (one request in
/// flight per connection; a due request waits for the next free connection if all are busy).
/// Latency runs from the time a request was due to the last byte of its response, so a stall
/// anywhere (generator included) shows up instead of being omitted. One epoll thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cx::bench::gateway {

struct OpenLoopOptions {
  std::uint16_t port = 0;  ///< 127.0.0.1:port
  std::size_t connections = 64;
  double rate = 5000;  ///< requests per second
  std::chrono::milliseconds warmup{2000};
  std::chrono::milliseconds measure{10000};
  std::string request;  ///< the full HTTP/1.1 request text (keep-alive), sent every time
};

struct OpenLoopResult {
  std::uint64_t due = 0;           ///< requests due in the measured window
  std::uint64_t completed = 0;     ///< of those, answered (2xx or not)
  std::uint64_t ok = 0;            ///< of those, 2xx
  std::uint64_t errors = 0;        ///< non-2xx + connection failures + unanswered, whole run
  std::uint64_t max_waiting = 0;   ///< most due requests ever waiting for a free connection
  double seconds = 0;              ///< the measured window
  std::vector<double> latency_us;  ///< one per completed request in the window
  std::string first_failure;       ///< the first non-2xx response or failure, for the log
};

/// Runs the load; throws std::runtime_error if no connection can be opened.
OpenLoopResult run_open_loop(const OpenLoopOptions& options);

/// The q-quantile (0..1) of `v`, sorted in place; 0 for an empty vector.
double quantile(std::vector<double>& v, double q);

}  // namespace cx::bench::gateway
