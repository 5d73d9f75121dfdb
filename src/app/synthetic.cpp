#include "app/synthetic.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <cstring>

namespace cx::app::synthetic {

namespace json = boost::json;

namespace {

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hex(std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = kDigits[v & 15];
  return out;
}

Answer error(unsigned status, std::string_view message, std::string_view type,
             std::string_view code) {
  json::object e{{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
  return Answer{status, "application/json", json::serialize(json::object{{"error", e}}), {}};
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
    std::size_t j = i;
    while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j])) == 0) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

/// The text of a message's content: a string, or the "text" parts of an array.
std::string content_text(const json::value& content) {
  if (content.is_string()) return std::string(content.get_string());
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content.get_array()) {
      if (!part.is_object()) continue;
      if (const auto* t = part.get_object().if_contains("text"); t && t->is_string()) {
        if (!out.empty()) out += ' ';
        out += t->get_string();
      }
    }
  }
  return out;
}

struct ChatRequest {
  std::string model;
  std::string last_user;
  std::int64_t prompt_tokens = 0;
  std::int64_t max_tokens = 16;
  bool include_usage = false;
  std::string tool;  ///< set: answer with a call to this function
};

Result<ChatRequest> parse_chat(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object())
    return fail(ErrorCode::InvalidArgument, "the body must be a JSON object");
  const json::object& o = v.get_object();
  ChatRequest r;
  if (const auto* m = o.if_contains("model"); m && m->is_string()) r.model = m->get_string();
  const auto* msgs = o.if_contains("messages");
  if (msgs == nullptr || !msgs->is_array() || msgs->get_array().empty()) {
    return fail(ErrorCode::InvalidArgument, "'messages' must be a non-empty array");
  }
  for (const auto& m : msgs->get_array()) {
    if (!m.is_object()) return fail(ErrorCode::InvalidArgument, "each message must be an object");
    const json::object& mo = m.get_object();
    std::string text;
    if (const auto* c = mo.if_contains("content")) text = content_text(*c);
    r.prompt_tokens += static_cast<std::int64_t>(words(text).size()) + 1;
    if (const auto* role = mo.if_contains("role");
        role && role->is_string() && role->get_string() == "user") {
      r.last_user = std::move(text);
    }
  }
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (const auto* mt = o.if_contains(key); mt && mt->is_int64() && mt->get_int64() > 0) {
      r.max_tokens = mt->get_int64();
      break;
    }
  }
  if (const auto* so = o.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->get_object().if_contains("include_usage"); iu && iu->is_bool()) {
      r.include_usage = iu->get_bool();
    }
  }
  const auto* tools = o.if_contains("tools");
  const auto* choice = o.if_contains("tool_choice");
  if (tools != nullptr && tools->is_array() && !tools->get_array().empty() && choice != nullptr) {
    if (choice->is_string() && choice->get_string() == "required") {
      const auto& t0 = tools->get_array().front();
      if (t0.is_object()) {
        if (const auto* fn = t0.get_object().if_contains("function"); fn && fn->is_object()) {
          if (const auto* n = fn->get_object().if_contains("name"); n && n->is_string()) {
            r.tool = n->get_string();
          }
        }
      }
    } else if (choice->is_object()) {
      if (const auto* fn = choice->get_object().if_contains("function"); fn && fn->is_object()) {
        if (const auto* n = fn->get_object().if_contains("name"); n && n->is_string()) {
          r.tool = n->get_string();
        }
      }
    }
  }
  return r;
}

/// The answer's words: "echo:" and the last user message, at most max_tokens of them.
std::vector<std::string> reply_words(const ChatRequest& r) {
  std::vector<std::string> out{"echo:"};
  for (auto w : words(r.last_user)) out.emplace_back(w);
  if (static_cast<std::int64_t>(out.size()) > r.max_tokens) {
    out.resize(static_cast<std::size_t>(r.max_tokens));
  }
  return out;
}

bool truncated(const ChatRequest& r) {
  return static_cast<std::int64_t>(words(r.last_user).size()) + 1 > r.max_tokens;
}

json::object usage_json(std::int64_t prompt, std::int64_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

std::string usage_header(std::int64_t in, std::int64_t out) {
  return "input_tokens=" + std::to_string(in) + ",output_tokens=" + std::to_string(out);
}

std::string tool_arguments(const ChatRequest& r) {
  return json::serialize(json::object{{"echo", r.last_user}});
}

Answer chat(std::string_view body, std::int64_t now_s) {
  auto r = parse_chat(body);
  if (!r) return error(400, r.error().message, "invalid_request_error", "invalid_request");
  const std::string id = "chatcmpl-syn-" + hex(fnv1a(body));
  json::object message{{"role", "assistant"}};
  std::string finish = "stop";
  std::int64_t completion = 0;
  if (!r->tool.empty()) {
    message["content"] = nullptr;
    message["tool_calls"] = json::array{json::object{
        {"id", "call_syn_" + hex(fnv1a(r->last_user)).substr(0, 12)},
        {"type", "function"},
        {"function", json::object{{"name", r->tool}, {"arguments", tool_arguments(*r)}}}}};
    finish = "tool_calls";
    completion = 1 + static_cast<std::int64_t>(words(r->last_user).size());
  } else {
    const auto ws = reply_words(*r);
    std::string text;
    for (const auto& w : ws) {
      if (!text.empty()) text += ' ';
      text += w;
    }
    message["content"] = text;
    message["refusal"] = nullptr;
    completion = static_cast<std::int64_t>(ws.size());
    if (truncated(*r)) finish = "length";
  }
  json::object out{{"id", id},
                   {"object", "chat.completion"},
                   {"created", now_s},
                   {"model", r->model},
                   {"system_fingerprint", "synthetic"},
                   {"choices", json::array{json::object{{"index", 0},
                                                        {"message", std::move(message)},
                                                        {"logprobs", nullptr},
                                                        {"finish_reason", finish}}}},
                   {"usage", usage_json(r->prompt_tokens, completion)}};
  return Answer{200, "application/json", json::serialize(out),
                usage_header(r->prompt_tokens, completion)};
}

/// A unit vector of `dims` floats hashed from `text`.
std::vector<float> embed(std::string_view text, std::size_t dims) {
  std::vector<float> v(dims);
  std::uint64_t h = fnv1a(text);
  double norm = 0;
  for (std::size_t i = 0; i < dims; ++i) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    const double x = static_cast<double>(h % 2001) / 1000.0 - 1.0;
    v[i] = static_cast<float>(x);
    norm += x * x;
  }
  if (norm > 0) {
    const double s = 1.0 / std::sqrt(norm);
    for (auto& x : v) x = static_cast<float>(static_cast<double>(x) * s);
  }
  return v;
}

Answer embeddings(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return error(400, "the body must be a JSON object", "invalid_request_error", "invalid_request");
  }
  const json::object& o = v.get_object();
  std::vector<std::string> inputs;
  const auto* in = o.if_contains("input");
  if (in != nullptr && in->is_string()) {
    inputs.emplace_back(in->get_string());
  } else if (in != nullptr && in->is_array() && !in->get_array().empty()) {
    for (const auto& x : in->get_array()) inputs.push_back(json::serialize(x));
    if (in->get_array().front().is_string()) {
      inputs.clear();
      for (const auto& x : in->get_array()) {
        if (!x.is_string()) {
          return error(400, "'input' must hold strings of one kind", "invalid_request_error",
                       "invalid_request");
        }
        inputs.emplace_back(x.get_string());
      }
    }
  } else {
    return error(400, "'input' must be a string or a non-empty array", "invalid_request_error",
                 "invalid_request");
  }
  std::size_t dims = 16;
  if (const auto* d = o.if_contains("dimensions"); d && d->is_int64()) {
    if (d->get_int64() < 1 || d->get_int64() > 4096) {
      return error(400, "'dimensions' must be in [1, 4096]", "invalid_request_error",
                   "invalid_request");
    }
    dims = static_cast<std::size_t>(d->get_int64());
  }
  bool b64 = false;
  if (const auto* f = o.if_contains("encoding_format"); f && f->is_string()) {
    b64 = f->get_string() == "base64";
  }
  std::string model;
  if (const auto* m = o.if_contains("model"); m && m->is_string()) model = m->get_string();
  json::array data;
  std::int64_t tokens = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    tokens += std::max<std::int64_t>(1, static_cast<std::int64_t>(words(inputs[i]).size()));
    const auto e = embed(inputs[i], dims);
    json::value emb;
    if (b64) {
      std::string raw(e.size() * sizeof(float), '\0');
      std::memcpy(raw.data(), e.data(), raw.size());  // little-endian float32, as OpenAI sends
      emb = base64(raw);
    } else {
      json::array a;
      for (float x : e) a.emplace_back(static_cast<double>(x));
      emb = std::move(a);
    }
    data.push_back(json::object{{"object", "embedding"}, {"index", i}, {"embedding", emb}});
  }
  json::object out{{"object", "list"},
                   {"data", std::move(data)},
                   {"model", model},
                   {"usage", json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
  return Answer{200, "application/json", json::serialize(out), usage_header(tokens, 0)};
}

Result<json::object> object_body(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object())
    return fail(ErrorCode::InvalidArgument, "the body must be a JSON object");
  return std::move(v.get_object());
}

std::string str(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
  return {};
}

std::int64_t integer(const json::object& o, std::string_view key, std::int64_t fallback) {
  if (const auto* v = o.if_contains(key); v && v->is_int64()) return v->get_int64();
  return fallback;
}

Answer bad(std::string_view message) {
  return error(400, message, "invalid_request_error", "invalid_request");
}

Answer image(std::string_view body, std::int64_t now_s, bool video) {
  auto o = object_body(body);
  if (!o) return bad(o.error().message);
  const std::string prompt = str(*o, "prompt");
  if (prompt.empty()) return bad("'prompt' is required");
  const std::int64_t n = video ? integer(*o, "seconds", 2) : integer(*o, "n", 1);
  if (n < 1 || n > (video ? 10 : 4)) {
    return bad(video ? "'seconds' must be in [1, 10]" : "'n' must be in [1, 4]");
  }
  json::array data;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto rgb = static_cast<std::uint32_t>(fnv1a(prompt + "#" + std::to_string(i)));
    data.push_back(json::object{{"b64_json", base64(png(64, 64, rgb & 0xffffffU))}});
  }
  json::object out{{"created", now_s}, {"model", str(*o, "model")}, {"data", std::move(data)}};
  std::string usage;
  if (video) {
    out["seconds"] = n;
    out["frames_per_second"] = 1;
    usage = "media_ms=" + std::to_string(n * 1000);
  } else {
    usage = "images=" + std::to_string(n);
  }
  return Answer{200, "application/json", json::serialize(out), usage};
}

Answer tts(std::string_view body) {
  auto o = object_body(body);
  if (!o) return bad(o.error().message);
  const std::string input = str(*o, "input");
  if (input.empty()) return bad("'input' is required");
  const std::int64_t ms =
      std::min<std::int64_t>(10'000, 60 * static_cast<std::int64_t>(input.size()));
  return Answer{200, "audio/wav", wav(ms), "media_ms=" + std::to_string(ms)};
}

Answer scrape(std::string_view body) {
  auto o = object_body(body);
  if (!o) return bad(o.error().message);
  const std::string url = str(*o, "url");
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return bad("'url' must be an http:// or https:// URL");
  }
  std::string format = str(*o, "format");
  if (format.empty()) format = "markdown";
  if (format != "markdown" && format != "text") return bad("'format' must be markdown or text");
  const std::string content = format == "markdown"
                                  ? "# " + url + "\n\nSynthetic page " + hex(fnv1a(url)) +
                                        " (the synthetic backend does not fetch).\n"
                                  : url + "\nSynthetic page " + hex(fnv1a(url)) +
                                        " (the synthetic backend does not fetch).\n";
  json::object out{{"url", url}, {"format", format}, {"content", content}};
  return Answer{200, "application/json", json::serialize(out), "requests=1"};
}

Answer vision(std::string_view task, std::string_view body) {
  auto o = object_body(body);
  if (!o) return bad(o.error().message);
  std::string img = str(*o, "image");
  if (img.empty()) img = str(*o, "image_url");
  if (img.empty()) return bad("'image' (a URL or base64 data) is required");
  const std::uint64_t h = fnv1a(img);
  json::object out;
  if (task == "caption") {
    out["caption"] = "a synthetic picture " + hex(h).substr(0, 8);
  } else if (task == "detect") {
    std::string object = str(*o, "object");
    if (object.empty()) object = "thing";
    const double x = static_cast<double>(h % 50) / 100.0;
    out["objects"] = json::array{json::object{
        {"label", object}, {"box", json::array{x, x, x + 0.25, x + 0.25}}, {"score", 0.5}}};
  } else if (task == "point") {
    out["points"] = json::array{json::object{{"x", static_cast<double>(h % 100) / 100.0},
                                             {"y", static_cast<double>((h >> 8) % 100) / 100.0}}};
  } else {
    const std::string q = str(*o, "question").empty() ? str(*o, "prompt") : str(*o, "question");
    if (q.empty()) return bad("'question' is required");
    out["answer"] = "synthetic answer to: " + q;
  }
  return Answer{200, "application/json", json::serialize(out), "requests=1"};
}

void put32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_le(std::string& s, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void png_chunk(std::string& out, std::string_view type, std::string_view data) {
  put32(out, static_cast<std::uint32_t>(data.size()));
  std::string body(type);
  body += data;
  out += body;
  const auto crc =
      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  put32(out, static_cast<std::uint32_t>(crc));
}

std::string sse(const json::object& chunk) {
  return "data: " + json::serialize(chunk) + "\n\n";
}

}  // namespace

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto v = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  if (i < bytes.size()) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size())
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string png(std::uint32_t width, std::uint32_t height, std::uint32_t rgb) {
  std::string raw;
  raw.reserve(static_cast<std::size_t>(height) * (1 + 3 * width));
  for (std::uint32_t y = 0; y < height; ++y) {
    raw.push_back('\0');  // filter: none
    for (std::uint32_t x = 0; x < width; ++x) {
      raw.push_back(static_cast<char>((rgb >> 16) & 0xff));
      raw.push_back(static_cast<char>((rgb >> 8) & 0xff));
      raw.push_back(static_cast<char>(rgb & 0xff));
    }
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string z(size, '\0');
  if (compress(reinterpret_cast<Bytef*>(z.data()), &size,
               reinterpret_cast<const Bytef*>(raw.data()),
               static_cast<uLong>(raw.size())) != Z_OK) {
    return {};
  }
  z.resize(size);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put32(ihdr, width);
  put32(ihdr, height);
  ihdr += std::string_view("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no interlace
  png_chunk(out, "IHDR", ihdr);
  png_chunk(out, "IDAT", z);
  png_chunk(out, "IEND", {});
  return out;
}

std::string wav(std::int64_t millis) {
  constexpr std::uint32_t kRate = 16'000;
  const auto samples = static_cast<std::uint32_t>(millis * kRate / 1000);
  std::string out("RIFF");
  put_le(out, 36 + samples * 2, 4);
  out += "WAVEfmt ";
  put_le(out, 16, 4);
  put_le(out, 1, 2);  // PCM
  put_le(out, 1, 2);  // mono
  put_le(out, kRate, 4);
  put_le(out, kRate * 2, 4);
  put_le(out, 2, 2);
  put_le(out, 16, 2);
  out += "data";
  put_le(out, samples * 2, 4);
  for (std::uint32_t i = 0; i < samples; ++i) {
    const double s = std::sin(2.0 * 3.14159265358979 * 440.0 * i / kRate) * 8000.0;
    put_le(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(s)) & 0xffffU, 2);
  }
  return out;
}

std::vector<Offer> offers() {
  return {{"chat", "synthetic-echo"},      {"embeddings", "synthetic-embed"},
          {"image", "synthetic-image"},    {"video", "synthetic-video"},
          {"tts", "synthetic-tts"},        {"scrape", ""},
          {"caption", "synthetic-vision"}, {"detect", "synthetic-vision"},
          {"point", "synthetic-vision"},   {"query", "synthetic-vision"}};
}

Answer answer(std::string_view path, std::string_view body, std::int64_t now_s) {
  if (path == "/v1/chat/completions") return chat(body, now_s);
  if (path == "/v1/embeddings") return embeddings(body);
  if (path == "/v1/image") return image(body, now_s, false);
  if (path == "/v1/video") return image(body, now_s, true);
  if (path == "/v1/tts") return tts(body);
  if (path == "/v1/scrape") return scrape(body);
  if (path.starts_with("/v1/m/")) {
    const auto task = path.substr(6);
    if (task == "caption" || task == "detect" || task == "point" || task == "query") {
      return vision(task, body);
    }
  }
  return error(404, "no such service on this node", "invalid_request_error", "not_found");
}

Result<Stream> chat_stream(std::string_view body, std::int64_t now_s) {
  auto r = parse_chat(body);
  if (!r) return std::unexpected(r.error());
  const std::string id = "chatcmpl-syn-" + hex(fnv1a(body));
  auto chunk = [&](json::object delta, json::value finish) {
    return json::object{{"id", id},
                        {"object", "chat.completion.chunk"},
                        {"created", now_s},
                        {"model", r->model},
                        {"system_fingerprint", "synthetic"},
                        {"choices", json::array{json::object{{"index", 0},
                                                             {"delta", std::move(delta)},
                                                             {"logprobs", nullptr},
                                                             {"finish_reason", finish}}}}};
  };
  Stream s;
  std::int64_t completion = 0;
  std::string finish = "stop";
  if (!r->tool.empty()) {
    s.events.push_back(sse(chunk(
        {{"role", "assistant"},
         {"content", nullptr},
         {"tool_calls", json::array{json::object{
                            {"index", 0},
                            {"id", "call_syn_" + hex(fnv1a(r->last_user)).substr(0, 12)},
                            {"type", "function"},
                            {"function", json::object{{"name", r->tool}, {"arguments", ""}}}}}}},
        nullptr)));
    s.events.push_back(sse(
        chunk({{"tool_calls",
                json::array{json::object{
                    {"index", 0}, {"function", json::object{{"arguments", tool_arguments(*r)}}}}}}},
              nullptr)));
    completion = 1 + static_cast<std::int64_t>(words(r->last_user).size());
    finish = "tool_calls";
  } else {
    s.events.push_back(sse(chunk({{"role", "assistant"}, {"content", ""}}, nullptr)));
    const bool cut = r->last_user.find("[[cut]]") != std::string::npos;
    const auto ws = reply_words(*r);
    for (std::size_t i = 0; i < ws.size(); ++i) {
      s.events.push_back(sse(chunk({{"content", i == 0 ? ws[i] : " " + ws[i]}}, nullptr)));
      if (cut && s.events.size() >= 3) {
        s.cut = true;
        return s;
      }
    }
    completion = static_cast<std::int64_t>(ws.size());
    if (truncated(*r)) finish = "length";
  }
  s.events.push_back(sse(chunk(json::object{}, json::value(finish))));
  if (r->include_usage) {
    s.events.push_back(sse(json::object{{"id", id},
                                        {"object", "chat.completion.chunk"},
                                        {"created", now_s},
                                        {"model", r->model},
                                        {"choices", json::array{}},
                                        {"usage", usage_json(r->prompt_tokens, completion)}}));
  }
  s.events.push_back("data: [DONE]\n\n");
  return s;
}

}  // namespace cx::app::synthetic
