#pragma once
/// A small closed-loop HTTP load driver: N keep-alive connections on one epoll thread, each
/// sending its next request as soon as the previous response is complete, latency measured from
/// the write of a request to the last byte of its response.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cx::bench::server {

struct LoadResult {
  std::uint64_t responses = 0;  ///< in the measured window
  std::uint64_t ok = 0;         ///< 2xx in the measured window
  std::uint64_t errors = 0;     ///< connection failures
  double seconds = 0;
  std::vector<double> latency_us;  ///< one per measured response
  std::string first_failure;       ///< body of the first non-2xx response
};

/// `make_request(connection, n)` returns the full request text (keep-alive) for the n-th request
/// on that connection. `at_window(true)` runs when the measured window opens, `at_window(false)`
/// when it closes (e.g. to read the server's CPU time).
LoadResult run_load(std::uint16_t port, std::size_t connections, std::chrono::milliseconds warmup,
                    std::chrono::milliseconds measure,
                    const std::function<std::string(std::size_t, std::uint64_t)>& make_request,
                    const std::function<void(bool start)>& at_window = {});

/// The q-quantile (0..1) of `v` (sorted in place).
double quantile(std::vector<double>& v, double q);

}  // namespace cx::bench::server
