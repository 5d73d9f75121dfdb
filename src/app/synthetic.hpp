#pragma once
/// The synthetic backend of `cxmpute node`: answers every service of the node protocol
/// (docs/gateway.md) deterministically, without a model, for development and tests. It is
/// named as such everywhere it shows ("synthetic-*" models, "synthetic" in /health), so no one
/// mistakes it for inference.
///
/// - chat: echoes the last user message word by word ("echo: ..."), at most max_tokens words;
///   with tools and tool_choice "required" (or a named function) it calls the first (or the
///   named) tool with {"echo": <last user text>}. Usage counts words.
/// - embeddings: unit vectors of `dimensions` (default 16) floats hashed from each input.
/// - image / video: PNG bytes (64x64, colour hashed from the prompt), base64 in JSON.
/// - tts: a WAV (16 kHz mono PCM sine tone), 60 ms per character, at most 10 s.
/// - scrape: markdown naming the URL (no network access).
/// - vision (caption, detect, point, query): answers derived from a hash of the image.
///
/// Test hook: a chat message containing "[[cut]]" makes a streamed answer stop after three
/// chunks with the connection dropped, as a node that dies mid-stream would.
///
/// Threading: pure functions, any thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cx::app::synthetic {

/// What a node answers to one request.
struct Answer {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// The node protocol's usage header (x-cx-usage), e.g. "input_tokens=3,output_tokens=5".
  std::string usage;
};

/// A non-streaming answer to `path` (the node protocol's path, e.g. "/v1/embeddings") for the
/// JSON `body`. Unknown paths are 404, malformed bodies 400, both in OpenAI's error shape.
Answer answer(std::string_view path, std::string_view body, std::int64_t now_s);

/// A streamed chat answer: the server-sent events in order ("data: {...}\n\n", the last one
/// "data: [DONE]\n\n"). `cut` is set when the test hook asks for a dropped connection after
/// `events.size()` events.
struct Stream {
  std::vector<std::string> events;
  bool cut = false;
};
/// Malformed when `body` is not a chat request.
[[nodiscard]] Result<Stream> chat_stream(std::string_view body, std::int64_t now_s);

/// The models this backend serves, per service name ("chat" -> "synthetic-echo", ...).
struct Offer {
  std::string service;
  std::string model;
};
std::vector<Offer> offers();

/// Helpers, exposed for tests.
std::string png(std::uint32_t width, std::uint32_t height, std::uint32_t rgb);
std::string wav(std::int64_t millis);
std::string base64(std::string_view bytes);

}  // namespace cx::app::synthetic
