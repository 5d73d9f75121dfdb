// libFuzzer target for the auth module's parsers: base64url_decode, the JWT header/claims JSON
// parser, TokenSigner::verify, normalize_email and parse_api_key. Not wired into CMake. Build
// the dev preset's cx_auth first, then from the repository root, with clang >= 16 and libFuzzer
// (older clang cannot compile libstdc++ 12's std::expected, see tests/fuzz/decimal_fuzz.cpp):
//
//   clang++ -std=c++2b -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/auth/auth_fuzz.cpp
//       $LIBS -o /tmp/auth_fuzz && /tmp/auth_fuzz -max_total_time=60
//
// or with g++ and the small random-input driver below (or over corpus files as arguments):
//
//   g++ -std=c++23 -g -O1 -fsanitize=address,undefined -DCX_FUZZ_STANDALONE -Isrc
//       tests/auth/auth_fuzz.cpp $LIBS -o /tmp/auth_fuzz
//   /tmp/auth_fuzz [iterations] [seed]   or   /tmp/auth_fuzz corpus_file...
//
// where LIBS="build/dev/src/auth/libcx_auth.a build/dev/src/store/libcx_store.a
//   build/dev/src/journal/libcx_journal.a build/dev/src/engine/libcx_engine.a
//   build/dev/src/core/libcx_core.a -lcrypto -lcurl -lsqlite3".
//
// Besides "no crash, no sanitizer report", it checks properties: an accepted base64url text
// re-encodes to itself (one spelling per byte string); a parsed JSON object written back and
// parsed again is the same object; a normalised email normalises to itself; no input verifies
// as a token unless it is the one token the signer issued.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "auth/api_keys.hpp"
#include "auth/claims_json.hpp"
#include "auth/crypto.hpp"
#include "auth/email.hpp"
#include "auth/tokens.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "auth_fuzz: property failed: %s\n", what);
    std::abort();
  }
}

std::string write_back(const cx::auth::json::Object& o) {
  std::string out = "{";
  for (const auto& [k, v] : o) {
    if (const auto* s = std::get_if<std::string>(&v))
      cx::auth::json::put(out, k, *s);
    else if (const auto* n = std::get_if<std::int64_t>(&v))
      cx::auth::json::put(out, k, *n);
    else
      cx::auth::json::put(out, k, std::get<std::vector<std::string>>(v));
  }
  return out + "}";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cx::auth;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto bytes = base64url_decode(in))
    check(base64url_encode(*bytes) == in, "base64url canonical");

  if (auto o = json::parse_object(in)) {
    const std::string again = write_back(*o);
    auto o2 = json::parse_object(again);
    check(o2.has_value() && *o2 == *o, "json round trip");
  }

  static const TokenSigner signer(std::string(32, 'f'));
  static const std::string issued = signer.issue("alice", {}, 0);
  if (signer.verify(in, 0)) check(in == issued, "only the issued token verifies");

  if (auto e = normalize_email(in)) check(normalize_email(*e) == e, "email idempotent");

  if (auto k = parse_api_key(in)) check(k->prefix == in.substr(3, 14), "api key prefix");
  return 0;
}

#ifdef CX_FUZZ_STANDALONE
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <vector>

// Random inputs built from the tokens of each format, plus mutations of valid examples.
// Prints its seed; pass it back to replay.
int main(int argc, char** argv) {
  const bool files = argc > 1 && std::string_view(argv[1]).find_first_not_of("0123456789") !=
                                     std::string_view::npos;
  if (files) {
    for (int i = 1; i < argc; ++i) {
      std::ifstream f(argv[i], std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(f), {}};
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::cout << "ran " << (argc - 1) << " files\n";
    return 0;
  }
  const long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 200'000;
  const std::uint64_t seed =
      argc > 2 ? std::strtoull(argv[2], nullptr, 10) : std::random_device{}();
  std::cout << "seed " << seed << "\n";
  std::mt19937_64 rng(seed);
  const cx::auth::TokenSigner signer(std::string(32, 'f'));
  const std::vector<std::string> seeds{
      R"({"sub":"alice","roles":["admin","trader"],"iat":1,"exp":2})",
      signer.issue("alice", {}, 0),
      "Ann.Smith+x@Example.co.uk",
      cx::auth::make_api_key(cx::store::KeyKind::TraderAk, "a", "", 0).secret,
      cx::auth::base64url_encode("hello, world"),
  };
  constexpr std::string_view kAlphabet = "{}[]\",:\\u0123456789-_.@aAzZ+/=eE \t\r\n\x01\x7f\xff";
  std::string buf;
  for (long n = 0; n < iterations; ++n) {
    buf = seeds[rng() % seeds.size()];
    const auto edits = rng() % 5;
    for (std::uint64_t e = 0; e < edits; ++e) {
      const std::size_t at = buf.empty() ? 0 : rng() % buf.size();
      const char c = kAlphabet[rng() % kAlphabet.size()];
      switch (rng() % 3) {
        case 0:
          if (!buf.empty()) buf[at] = c;
          break;
        case 1:
          if (!buf.empty()) buf.erase(at, 1 + rng() % 3);
          break;
        default:
          buf.insert(at, 1, c);
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(buf.data()), buf.size());
  }
  std::cout << "ran " << iterations << " inputs\n";
  return 0;
}
#endif
