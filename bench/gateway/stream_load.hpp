#pragma once
/// Many concurrent server-sent-event streams on one epoll thread: opens `streams` connections
/// at a bounded rate (non-blocking connects), sends each its request, and reads every stream
/// incrementally, noting when its first body byte arrived and whether `data: [DONE]` came.
/// While all are open it calls `on_all_open` once (to sample the server's memory).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cx::bench::gateway {

struct StreamLoadOptions {
  std::uint16_t port = 0;  ///< 127.0.0.1:port
  std::size_t streams = 1000;
  std::size_t connects_per_ms = 3;  ///< the ramp: new connections per millisecond at most
  std::string request;              ///< the full request text (stream:true)
  /// Give up waiting (for the ramp, first bytes, or the ends of the streams) after this.
  std::chrono::milliseconds deadline{40'000};
  /// Close every stream right after on_all_open instead of reading them to the end.
  bool close_when_open = false;
};

struct StreamLoadResult {
  std::size_t opened = 0;       ///< connections established and request sent
  std::size_t first_byte = 0;   ///< streams whose first body byte arrived
  std::size_t done = 0;         ///< streams that ended with data: [DONE]
  std::size_t failed = 0;       ///< refused, reset, non-200, or ended without [DONE]
  std::size_t max_open = 0;     ///< most streams open at once (first byte seen, not ended)
  std::vector<double> ttfb_us;  ///< request written -> first body byte, one per stream
  double ramp_seconds = 0;      ///< first connect -> last request sent
  std::string first_failure;
};

StreamLoadResult run_stream_load(const StreamLoadOptions& options,
                                 const std::function<void(std::size_t open)>& on_all_open);

}  // namespace cx::bench::gateway
