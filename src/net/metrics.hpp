#pragma once
/// Server counters and a latency histogram, updated lock-free from the I/O threads and rendered
/// in the Prometheus text format for the app's /metrics route.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cx::net {

class ServerMetrics {
 public:
  /// Upper bounds of the request-latency buckets, in microseconds (plus an implicit +Inf).
  static constexpr std::array<std::uint64_t, 15> kLatencyBoundsUs{
      100,    250,     500,     1'000,   2'500,     5'000,     10'000,   25'000,
      50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000};
  static constexpr std::size_t kBuckets = kLatencyBoundsUs.size() + 1;

  /// A consistent-enough copy for tests and reports (each field is read atomically).
  struct Snapshot {
    std::array<std::uint64_t, 5> requests_by_class{};  ///< [0] = 1xx ... [4] = 5xx
    std::uint64_t http_connections_active = 0;
    std::uint64_t http_connections_total = 0;
    std::uint64_t connections_rejected = 0;  ///< refused at max_connections
    std::uint64_t ws_sessions_active = 0;
    std::uint64_t ws_sessions_total = 0;
    std::uint64_t ws_messages_in = 0;
    std::uint64_t ws_messages_out = 0;
    std::uint64_t ws_slow_consumer_closes = 0;
    std::array<std::uint64_t, kBuckets> latency_buckets{};  ///< per bucket, not cumulative
    std::uint64_t latency_sum_us = 0;
    std::uint64_t latency_count = 0;

    std::uint64_t requests_total() const noexcept;
  };

  /// One response with `status`, handed to the socket `latency` after its request was fully
  /// read (handler time included, write time not). Any thread.
  void record_request(unsigned status, std::chrono::nanoseconds latency) noexcept;

  void http_connection_opened() noexcept;
  void http_connection_closed() noexcept;
  void connection_rejected() noexcept;
  void ws_session_opened() noexcept;
  void ws_session_closed() noexcept;
  void ws_message_in() noexcept;
  void ws_message_out() noexcept;
  void ws_slow_consumer() noexcept;

  Snapshot snapshot() const noexcept;

  /// Appends HELP/TYPE/sample lines for every metric, names prefixed by `prefix` + "_"
  /// (cx_http_requests_total{class="2xx"}, cx_http_request_duration_seconds_bucket{le=...}, ...).
  void render_prometheus(std::string& out, std::string_view prefix = "cx") const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  std::array<Counter, 5> by_class_{};
  Counter conn_active_{0}, conn_total_{0}, conn_rejected_{0};
  Counter ws_active_{0}, ws_total_{0}, ws_in_{0}, ws_out_{0}, ws_slow_{0};
  std::array<Counter, kBuckets> buckets_{};
  Counter latency_sum_us_{0}, latency_count_{0};
};

}  // namespace cx::net
