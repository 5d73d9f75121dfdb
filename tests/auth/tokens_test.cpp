// HS256 access tokens: format, claims, and every way a token can be wrong.

#include "auth/tokens.hpp"

#include <gtest/gtest.h>

#include <random>

#include "auth/claims_json.hpp"
#include "auth/crypto.hpp"
#include "auth_fixture.hpp"

namespace cx::auth {
namespace {

using test::code_of;
using test::ok;

const std::string kSecret = "0123456789abcdef0123456789abcdef";
constexpr Timestamp kT0 = 1'700'000'000'123;
const std::vector<std::string> kRoles{"admin", "trader"};

std::vector<std::string> parts(const std::string& token) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = token.find('.', start);
    out.push_back(token.substr(start, dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

/// A token with any header and claims, signed with `secret`.
std::string forge(std::string_view header, std::string_view claims, const std::string& secret) {
  std::string t = base64url_encode(header) + "." + base64url_encode(claims);
  return t + "." + base64url_encode(hmac_sha256(secret, t));
}

const std::string kHeader = R"({"alg":"HS256","typ":"JWT"})";
std::string claims(std::int64_t exp) {
  return R"({"sub":"alice","roles":["trader"],"iat":1700000000,"exp":)" + std::to_string(exp) + "}";
}

TEST(Tokens, IssuedTokenIsAStandardJwt) {
  TokenSigner signer(kSecret);
  const std::string t = signer.issue("alice", kRoles, kT0);
  const auto p = parts(t);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(*base64url_decode(p[0]), kHeader);
  EXPECT_EQ(*base64url_decode(p[1]),
            R"({"sub":"alice","roles":["admin","trader"],"iat":1700000000,"exp":1700000900})");
  EXPECT_EQ(*base64url_decode(p[2]), hmac_sha256(kSecret, p[0] + "." + p[1]));
}

TEST(Tokens, VerifyReturnsTheClaimsInMilliseconds) {
  TokenSigner signer(kSecret);
  const auto c = ok(signer.verify(signer.issue("alice", kRoles, kT0), kT0 + 1));
  EXPECT_EQ(c.user_id, "alice");
  EXPECT_EQ(c.roles, kRoles);
  EXPECT_EQ(c.issued_at, 1'700'000'000'000);
  EXPECT_EQ(c.expires_at, 1'700'000'900'000);
  EXPECT_EQ(signer.expiry_for(kT0), c.expires_at);
}

TEST(Tokens, UserIdsWithQuotesAndControlsSurvive) {
  TokenSigner signer(kSecret);
  const std::string id = "we\"ird\\id\n\x01\xc3\xa9";
  EXPECT_EQ(ok(signer.verify(signer.issue(id, {}, kT0), kT0)).user_id, id);
}

TEST(Tokens, ExpiresExactlyAtExp) {
  TokenSigner signer(kSecret, 60'000);
  const std::string t = signer.issue("alice", kRoles, 1'000'000);
  EXPECT_TRUE(signer.verify(t, 1'059'999).has_value());
  EXPECT_EQ(code_of(signer.verify(t, 1'060'000)), ErrorCode::Unauthenticated);
}

TEST(Tokens, TokenFromAnotherKeyIsRefused) {
  TokenSigner signer(kSecret);
  TokenSigner other(std::string(32, 'k'));
  EXPECT_EQ(code_of(signer.verify(other.issue("alice", kRoles, kT0), kT0)),
            ErrorCode::Unauthenticated);
}

TEST(Tokens, TamperedPayloadIsRefused) {
  TokenSigner signer(kSecret);
  const auto p = parts(signer.issue("alice", {}, kT0));
  const std::string evil =
      base64url_encode(R"({"sub":"alice","roles":["admin"],"iat":1700000000,"exp":1700000900})");
  EXPECT_EQ(code_of(signer.verify(p[0] + "." + evil + "." + p[2], kT0)),
            ErrorCode::Unauthenticated);
}

TEST(Tokens, TamperedSignatureIsRefused) {
  TokenSigner signer(kSecret);
  const std::string t = signer.issue("alice", kRoles, kT0);
  for (std::size_t i = t.rfind('.') + 1; i < t.size(); ++i) {
    std::string bad = t;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(code_of(signer.verify(bad, kT0)), ErrorCode::Unauthenticated) << i;
  }
}

TEST(Tokens, AlgNoneAndOtherAlgorithmsAreRefused) {
  TokenSigner signer(kSecret);
  const std::string c = base64url_encode(claims(1'800'000'000));
  EXPECT_EQ(code_of(signer.verify(base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + c + ".",
                                  kT0)),
            ErrorCode::Unauthenticated);
  EXPECT_EQ(code_of(signer.verify(base64url_encode(R"({"alg":"none"})") + "." + c + ".", kT0)),
            ErrorCode::Unauthenticated);
  // Even correctly HMAC-signed, any other header is refused.
  for (const char* h : {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"hs256"})", R"({"typ":"JWT"})",
                        R"({"alg":"HS256","typ":"JWS"})", R"({"alg":"HS256","crit":["exp"]})",
                        R"({"alg":["HS256"]})"})
    EXPECT_EQ(code_of(signer.verify(forge(h, claims(1'800'000'000), kSecret), kT0)),
              ErrorCode::Unauthenticated)
        << h;
  EXPECT_TRUE(signer.verify(forge(R"({"alg":"HS256"})", claims(1'800'000'000), kSecret), kT0));
}

TEST(Tokens, MalformedShapesAreRefused) {
  TokenSigner signer(kSecret);
  const std::string t = signer.issue("alice", kRoles, kT0);
  const auto p = parts(t);
  for (const std::string& bad :
       {std::string(), std::string("."), std::string(".."), std::string("..."), p[0],
        p[0] + "." + p[1], t + ".", t + "." + p[2], "." + t, t.substr(0, t.size() - 1),
        t.substr(0, t.size() / 2), p[0] + "=." + p[1] + "." + p[2],
        p[0] + "." + p[1] + "." + p[2] + "==", "Bearer " + t, t + " ",
        std::string(kMaxTokenSize + 1, 'a')})
    EXPECT_EQ(code_of(signer.verify(bad, kT0)), ErrorCode::Unauthenticated) << bad;
}

TEST(Tokens, SignedButIncompleteClaimsAreRefused) {
  TokenSigner signer(kSecret);
  for (const char* c :
       {R"({"roles":[],"iat":1,"exp":1800000000})",
        R"({"sub":"","roles":[],"iat":1,"exp":1800000000})",
        R"({"sub":"a","iat":1,"exp":1800000000})", R"({"sub":"a","roles":[],"exp":1800000000})",
        R"({"sub":"a","roles":[],"iat":1})", R"({"sub":"a","roles":[],"iat":1,"exp":"1800000000"})",
        R"({"sub":"a","roles":"admin","iat":1,"exp":1800000000})",
        R"({"sub":7,"roles":[],"iat":1,"exp":1800000000})",
        R"({"sub":"a","roles":[],"iat":1,"exp":1800000000.5})", R"(not json)"})
    EXPECT_EQ(code_of(signer.verify(forge(kHeader, c, kSecret), kT0)), ErrorCode::Unauthenticated)
        << c;
  // Unknown claims are ignored.
  EXPECT_TRUE(signer.verify(
      forge(kHeader, R"({"sub":"a","roles":[],"iat":1,"exp":1800000000,"jti":"x"})", kSecret),
      kT0));
}

TEST(Tokens, WeakSecretsAndSillyTtlsAreRefusedAtStartUp) {
  EXPECT_THROW(TokenSigner(std::string(31, 'x')), std::invalid_argument);
  EXPECT_THROW(TokenSigner(kSecret, 999), std::invalid_argument);
}

TEST(Tokens, RandomCorruptionNeverVerifies) {
  TokenSigner signer(kSecret);
  const std::string t = signer.issue("alice", kRoles, kT0);
  const std::uint32_t seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const std::string alphabet = "ABCxyz019-_.=+/ \"{}";
  for (int i = 0; i < 5'000; ++i) {
    std::string bad = t;
    const std::size_t at = rng() % bad.size();
    const char c = alphabet[rng() % alphabet.size()];
    if (bad[at] == c) continue;
    bad[at] = c;
    auto r = signer.verify(bad, kT0);
    // Only a change in the spare bits of a base64url character could keep the bytes, and the
    // strict decoder refuses those.
    EXPECT_FALSE(r.has_value()) << bad;
  }
}

}  // namespace
}  // namespace cx::auth
