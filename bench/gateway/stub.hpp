#pragma once
/// The fast upstream of the gateway benchmarks: a provider node that answers at once. It runs in
/// a child process of its own (bench_gateway --stub ...), so its CPU and memory are not the
/// gateway's or the load generator's.
///
/// Routes (every one requires `Authorization: Bearer <secret>`; 401 otherwise):
/// - GET /health:
/// {"status":"ok","nonce":<x-cx-nonce>,"offers":[{"service":"chat","model":"bench"}]}
/// - POST /v1/chat/completions: a fixed chat.completion with usage; with "stream":true an SSE
///   stream: a role chunk at once, then one content chunk every `chunk_interval`, as many as the
///   request's max_tokens (default 4), then a usage chunk and `data: [DONE]`.

#include <chrono>
#include <cstdint>
#include <string>

namespace cx::bench::gateway {

struct StubOptions {
  std::uint16_t port = 0;
  std::string secret;
  unsigned io_threads = 1;
  std::chrono::milliseconds chunk_interval{500};
};

/// Serves until SIGTERM or SIGINT; returns the process exit code.
int run_stub(const StubOptions& options);

}  // namespace cx::bench::gateway
