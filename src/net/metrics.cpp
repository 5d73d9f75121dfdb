#include "net/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace cx::net {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

void add_u64(std::string& out, std::uint64_t v) {
  out += std::to_string(v);
}

/// Microseconds as decimal seconds ("0.000250"), without floating point.
void add_seconds(std::string& out, std::uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu.%06llu", static_cast<unsigned long long>(us / 1'000'000),
                static_cast<unsigned long long>(us % 1'000'000));
  out += buf;
}

void header(std::string& out, std::string_view prefix, std::string_view name, std::string_view type,
            std::string_view help) {
  out += "# HELP ";
  out += prefix;
  out += '_';
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += prefix;
  out += '_';
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view prefix, std::string_view name,
            std::string_view labels, std::uint64_t value) {
  out += prefix;
  out += '_';
  out += name;
  out += labels;
  out += ' ';
  add_u64(out, value);
  out += '\n';
}

void simple(std::string& out, std::string_view prefix, std::string_view name, std::string_view type,
            std::string_view help, std::uint64_t value) {
  header(out, prefix, name, type, help);
  sample(out, prefix, name, {}, value);
}

}  // namespace

std::uint64_t ServerMetrics::Snapshot::requests_total() const noexcept {
  std::uint64_t n = 0;
  for (auto c : requests_by_class) n += c;
  return n;
}

void ServerMetrics::record_request(unsigned status, std::chrono::nanoseconds latency) noexcept {
  const unsigned cls = std::clamp(status / 100, 1u, 5u) - 1;
  by_class_[cls].fetch_add(1, kRelaxed);
  const auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
  const auto it = std::lower_bound(kLatencyBoundsUs.begin(), kLatencyBoundsUs.end(), us);
  buckets_[static_cast<std::size_t>(it - kLatencyBoundsUs.begin())].fetch_add(1, kRelaxed);
  latency_sum_us_.fetch_add(us, kRelaxed);
  latency_count_.fetch_add(1, kRelaxed);
}

void ServerMetrics::http_connection_opened() noexcept {
  conn_active_.fetch_add(1, kRelaxed);
  conn_total_.fetch_add(1, kRelaxed);
}
void ServerMetrics::http_connection_closed() noexcept {
  conn_active_.fetch_sub(1, kRelaxed);
}
void ServerMetrics::connection_rejected() noexcept {
  conn_rejected_.fetch_add(1, kRelaxed);
}
void ServerMetrics::ws_session_opened() noexcept {
  ws_active_.fetch_add(1, kRelaxed);
  ws_total_.fetch_add(1, kRelaxed);
}
void ServerMetrics::ws_session_closed() noexcept {
  ws_active_.fetch_sub(1, kRelaxed);
}
void ServerMetrics::ws_message_in() noexcept {
  ws_in_.fetch_add(1, kRelaxed);
}
void ServerMetrics::ws_message_out() noexcept {
  ws_out_.fetch_add(1, kRelaxed);
}
void ServerMetrics::ws_slow_consumer() noexcept {
  ws_slow_.fetch_add(1, kRelaxed);
}

ServerMetrics::Snapshot ServerMetrics::snapshot() const noexcept {
  Snapshot s;
  for (std::size_t i = 0; i < by_class_.size(); ++i)
    s.requests_by_class[i] = by_class_[i].load(kRelaxed);
  s.http_connections_active = conn_active_.load(kRelaxed);
  s.http_connections_total = conn_total_.load(kRelaxed);
  s.connections_rejected = conn_rejected_.load(kRelaxed);
  s.ws_sessions_active = ws_active_.load(kRelaxed);
  s.ws_sessions_total = ws_total_.load(kRelaxed);
  s.ws_messages_in = ws_in_.load(kRelaxed);
  s.ws_messages_out = ws_out_.load(kRelaxed);
  s.ws_slow_consumer_closes = ws_slow_.load(kRelaxed);
  for (std::size_t i = 0; i < kBuckets; ++i) s.latency_buckets[i] = buckets_[i].load(kRelaxed);
  s.latency_sum_us = latency_sum_us_.load(kRelaxed);
  s.latency_count = latency_count_.load(kRelaxed);
  return s;
}

void ServerMetrics::render_prometheus(std::string& out, std::string_view prefix) const {
  const Snapshot s = snapshot();
  header(out, prefix, "http_requests_total", "counter", "HTTP responses by status class.");
  static constexpr std::array<std::string_view, 5> kClasses{R"({class="1xx"})", R"({class="2xx"})",
                                                            R"({class="3xx"})", R"({class="4xx"})",
                                                            R"({class="5xx"})"};
  for (std::size_t i = 0; i < kClasses.size(); ++i) {
    sample(out, prefix, "http_requests_total", kClasses[i], s.requests_by_class[i]);
  }

  header(out, prefix, "http_request_duration_seconds", "histogram",
         "Time from a request fully read to its response ready to write.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    cumulative += s.latency_buckets[i];
    std::string labels = "{le=\"";
    if (i < kLatencyBoundsUs.size()) {
      add_seconds(labels, kLatencyBoundsUs[i]);
    } else {
      labels += "+Inf";
    }
    labels += "\"}";
    sample(out, prefix, "http_request_duration_seconds_bucket", labels, cumulative);
  }
  out += prefix;
  out += "_http_request_duration_seconds_sum ";
  add_seconds(out, s.latency_sum_us);
  out += '\n';
  sample(out, prefix, "http_request_duration_seconds_count", {}, s.latency_count);

  simple(out, prefix, "http_connections_active", "gauge", "Open HTTP connections (not upgraded).",
         s.http_connections_active);
  simple(out, prefix, "http_connections_total", "counter", "Accepted HTTP connections.",
         s.http_connections_total);
  simple(out, prefix, "http_connections_rejected_total", "counter",
         "Connections closed at accept because max_connections was reached.",
         s.connections_rejected);
  simple(out, prefix, "ws_sessions_active", "gauge", "Open WebSocket sessions.",
         s.ws_sessions_active);
  simple(out, prefix, "ws_sessions_total", "counter", "WebSocket sessions opened.",
         s.ws_sessions_total);
  simple(out, prefix, "ws_messages_received_total", "counter", "WebSocket text messages received.",
         s.ws_messages_in);
  simple(out, prefix, "ws_messages_sent_total", "counter", "WebSocket messages written.",
         s.ws_messages_out);
  simple(out, prefix, "ws_slow_consumer_closes_total", "counter",
         "WebSocket sessions closed because their outgoing queue was full.",
         s.ws_slow_consumer_closes);
}

}  // namespace cx::net
