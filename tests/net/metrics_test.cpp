#include <gtest/gtest.h>

#include "net/metrics.hpp"

namespace cx::net {
namespace {

using namespace std::chrono_literals;

TEST(ServerMetrics, HistogramBucketsAreCumulativeInTheRendering) {
  ServerMetrics m;
  m.record_request(200, 50us);   // <= 100 us
  m.record_request(201, 100us);  // <= 100 us (bounds are inclusive)
  m.record_request(404, 3ms);    // <= 5 ms
  m.record_request(503, 10s);    // +Inf
  m.record_request(42, 1us);     // nonsense status counts as 1xx
  const auto s = m.snapshot();
  EXPECT_EQ(s.requests_total(), 5u);
  EXPECT_EQ(s.requests_by_class[0], 1u);
  EXPECT_EQ(s.requests_by_class[1], 2u);
  EXPECT_EQ(s.requests_by_class[3], 1u);
  EXPECT_EQ(s.requests_by_class[4], 1u);
  EXPECT_EQ(s.latency_buckets[0], 3u);
  EXPECT_EQ(s.latency_buckets.back(), 1u);
  EXPECT_EQ(s.latency_sum_us, 50u + 100u + 3000u + 10'000'000u + 1u);

  std::string text;
  m.render_prometheus(text, "cx");
  EXPECT_NE(text.find("cx_http_request_duration_seconds_bucket{le=\"0.000100\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cx_http_request_duration_seconds_bucket{le=\"0.005000\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("cx_http_request_duration_seconds_bucket{le=\"5.000000\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("cx_http_request_duration_seconds_bucket{le=\"+Inf\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("cx_http_request_duration_seconds_sum 10.003151\n"), std::string::npos);
  EXPECT_NE(text.find("cx_http_requests_total{class=\"5xx\"} 1\n"), std::string::npos);
}

TEST(ServerMetrics, GaugesGoUpAndDown) {
  ServerMetrics m;
  m.http_connection_opened();
  m.http_connection_opened();
  m.http_connection_closed();
  m.ws_session_opened();
  m.ws_slow_consumer();
  const auto s = m.snapshot();
  EXPECT_EQ(s.http_connections_active, 1u);
  EXPECT_EQ(s.http_connections_total, 2u);
  EXPECT_EQ(s.ws_sessions_active, 1u);
  EXPECT_EQ(s.ws_slow_consumer_closes, 1u);
  std::string text;
  m.render_prometheus(text, "cx");
  EXPECT_NE(text.find("# TYPE cx_ws_sessions_active gauge\ncx_ws_sessions_active 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace cx::net
