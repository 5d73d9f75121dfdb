// Login codes: shape, single use, expiry, attempts, rate limits, bounded memory.

#include "auth/login_codes.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "auth_fixture.hpp"

namespace cx::auth {
namespace {

using test::code_of;
using test::ok;

constexpr Timestamp kT0 = 1'700'000'000'000;
const std::string kAnn = "ann@example.com";
const std::string kIp = "203.0.113.7";

std::string wrong(const std::string& code) {
  std::string w = code;
  w[0] = w[0] == '9' ? '0' : static_cast<char>(w[0] + 1);
  return w;
}

TEST(LoginCodes, CodeIsSixDigits) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    LoginCodes fresh;
    const std::string c = ok(fresh.issue(kAnn, kIp, kT0));
    ASSERT_EQ(c.size(), 6u);
    EXPECT_EQ(c.find_first_not_of("0123456789"), std::string::npos) << c;
    seen.insert(c);
  }
  EXPECT_GT(seen.size(), 15u);  // 20 draws from a million rarely collide
}

TEST(LoginCodes, RightCodeLogsInOnce) {
  LoginCodes codes;
  const std::string c = ok(codes.issue(kAnn, kIp, kT0));
  EXPECT_TRUE(codes.verify(kAnn, c, kT0 + 1).has_value());
  EXPECT_EQ(code_of(codes.verify(kAnn, c, kT0 + 2)), ErrorCode::Unauthenticated);
  EXPECT_EQ(codes.size(), 0u);
}

TEST(LoginCodes, CodeIsBoundToItsEmail) {
  LoginCodes codes;
  const std::string c = ok(codes.issue(kAnn, kIp, kT0));
  (void)ok(codes.issue("bob@example.com", kIp, kT0));
  EXPECT_EQ(code_of(codes.verify("nobody@example.com", c, kT0)), ErrorCode::Unauthenticated);
  EXPECT_TRUE(codes.verify(kAnn, c, kT0).has_value());
}

TEST(LoginCodes, ExpiresExactlyAtTtl) {
  LoginCodes codes;
  const std::string c1 = ok(codes.issue(kAnn, kIp, kT0));
  EXPECT_EQ(code_of(codes.verify(kAnn, c1, kT0 + 600'000)), ErrorCode::Unauthenticated);
  const std::string c2 = ok(codes.issue(kAnn, kIp, kT0 + 700'000));
  EXPECT_TRUE(codes.verify(kAnn, c2, kT0 + 700'000 + 599'999).has_value());
}

TEST(LoginCodes, WrongCodeUsesAnAttemptButLeavesTheCodeAlive) {
  LoginCodes codes;
  const std::string c = ok(codes.issue(kAnn, kIp, kT0));
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(code_of(codes.verify(kAnn, wrong(c), kT0)), ErrorCode::Unauthenticated);
  EXPECT_TRUE(codes.verify(kAnn, c, kT0).has_value());
}

TEST(LoginCodes, FifthWrongAttemptKillsTheCode) {
  LoginCodes codes;
  const std::string c = ok(codes.issue(kAnn, kIp, kT0));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(code_of(codes.verify(kAnn, wrong(c), kT0)), ErrorCode::Unauthenticated);
  EXPECT_EQ(code_of(codes.verify(kAnn, c, kT0)), ErrorCode::Unauthenticated);
  // A new code works.
  const std::string c2 = ok(codes.issue(kAnn, kIp, kT0 + 1));
  EXPECT_TRUE(codes.verify(kAnn, c2, kT0 + 1).has_value());
}

TEST(LoginCodes, MalformedGuessesCountAsWrongAttempts) {
  LoginCodes codes;
  const std::string c = ok(codes.issue(kAnn, kIp, kT0));
  for (const char* guess : {"", "12345", "1234567", "abcdef", "12 456"})
    EXPECT_EQ(code_of(codes.verify(kAnn, guess, kT0)), ErrorCode::Unauthenticated);
  EXPECT_EQ(code_of(codes.verify(kAnn, c, kT0)), ErrorCode::Unauthenticated);
}

TEST(LoginCodes, NoCodeMeansUnauthenticated) {
  LoginCodes codes;
  EXPECT_EQ(code_of(codes.verify(kAnn, "123456", kT0)), ErrorCode::Unauthenticated);
}

TEST(LoginCodes, NewCodeReplacesTheOldOneAndItsAttempts) {
  LoginCodes codes;
  const std::string c1 = ok(codes.issue(kAnn, kIp, kT0));
  for (int i = 0; i < 4; ++i) (void)codes.verify(kAnn, wrong(c1), kT0);
  std::string c2 = ok(codes.issue(kAnn, kIp, kT0 + 1));
  while (c2 == c1) c2 = ok(codes.issue(kAnn, kIp, kT0 + 60'000));  // one in a million
  EXPECT_EQ(code_of(codes.verify(kAnn, c1, kT0 + 2)), ErrorCode::Unauthenticated);
  // The failed attempt above was the first against c2: four more are allowed.
  for (int i = 0; i < 3; ++i) (void)codes.verify(kAnn, wrong(c2), kT0 + 2);
  EXPECT_TRUE(codes.verify(kAnn, c2, kT0 + 3).has_value());
}

TEST(LoginCodes, PerEmailLimitGivesRetryAfter) {
  LoginCodes codes;  // 3 at once, then one a minute
  for (int i = 0; i < 3; ++i) (void)ok(codes.issue(kAnn, "10.0.0." + std::to_string(i), kT0));
  std::int64_t retry = -1;
  auto r = codes.issue(kAnn, "10.0.0.9", kT0 + 15'000, &retry);
  EXPECT_EQ(code_of(r), ErrorCode::RateLimited);
  EXPECT_EQ(retry, 45'000);
  EXPECT_TRUE(codes.issue(kAnn, "10.0.0.9", kT0 + 60'000).has_value());
  // Another address is not affected.
  EXPECT_TRUE(codes.issue("bob@example.com", "10.0.0.9", kT0 + 60'000).has_value());
}

TEST(LoginCodes, PerIpLimitGivesRetryAfterAndSparesTheEmailsAllowance) {
  LoginCodes codes;  // 20 at once per IP, then one per 30 s
  for (int i = 0; i < 20; ++i)
    (void)ok(codes.issue("u" + std::to_string(i) + "@example.com", kIp, kT0));
  std::int64_t retry = -1;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(code_of(codes.issue(kAnn, kIp, kT0 + 10'000, &retry)), ErrorCode::RateLimited);
  EXPECT_EQ(retry, 20'000);
  // Ann's own allowance (3) was not touched by the refused requests.
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(codes.issue(kAnn, "198.51.100." + std::to_string(i), kT0 + 10'000));
}

TEST(LoginCodes, ExpiredCodesAreDroppedAndMemoryIsBounded) {
  LoginCodeOptions o;
  o.max_codes = 10;
  o.per_ip_burst = 1'000;
  LoginCodes codes(o);
  for (int i = 0; i < 10; ++i) (void)ok(codes.issue("u" + std::to_string(i) + "@x.io", kIp, kT0));
  EXPECT_EQ(codes.size(), 10u);
  // After the ttl, a new code sweeps the expired ones.
  (void)ok(codes.issue(kAnn, kIp, kT0 + 600'000));
  EXPECT_EQ(codes.size(), 1u);
  // Full of live codes: the one expiring first makes room.
  for (int i = 0; i < 20; ++i)
    (void)ok(codes.issue("v" + std::to_string(i) + "@x.io", kIp, kT0 + 600'001 + i));
  EXPECT_EQ(codes.size(), 10u);
}

TEST(LoginCodes, ConcurrentUseIsSafe) {
  LoginCodeOptions o;
  o.per_ip_burst = 10'000;
  o.per_email_burst = 10'000;
  LoginCodes codes(o);
  std::vector<std::thread> threads;
  std::atomic<int> logged_in{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string email = "t" + std::to_string(t) + "-" + std::to_string(i) + "@x.io";
        auto c = codes.issue(email, kIp, kT0);
        if (c && codes.verify(email, *c, kT0)) logged_in.fetch_add(1);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(logged_in.load(), 800);
}

}  // namespace
}  // namespace cx::auth
