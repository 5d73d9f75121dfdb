// Sessions: start, refresh rotation, reuse as theft, expiry, logout.

#include "auth/sessions.hpp"

#include <gtest/gtest.h>

#include "auth/crypto.hpp"
#include "auth_fixture.hpp"

namespace cx::auth {
namespace {

using test::code_of;
using test::ok;

constexpr Timestamp kT0 = 1'700'000'000'000;
constexpr std::int64_t kDay = 24LL * 3600 * 1000;

struct Sessions : ::testing::Test {
  test::StoreWithUsers db;
  TokenSigner signer{std::string(32, 's')};
  SessionService svc{*db.store, signer, 7 * kDay};
};

TEST_F(Sessions, StartGivesAnAccessTokenAndAHashedRefreshToken) {
  const TokenPair p = ok(svc.start(db.bob, kT0));
  const AccessClaims c = ok(signer.verify(p.access, kT0));
  EXPECT_EQ(c.user_id, "bob");
  EXPECT_EQ(c.roles, db.bob.roles);
  EXPECT_EQ(p.access_expires_at, kT0 + 900'000);
  EXPECT_EQ(p.refresh_expires_at, kT0 + 7 * kDay);
  EXPECT_EQ(p.refresh.size(), 43u);
  const auto s = ok(db.store->session(sha256_hex(p.refresh)));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user_id, "bob");
  EXPECT_EQ(s->expires_at, kT0 + 7 * kDay);
}

TEST_F(Sessions, RefreshRotatesTheToken) {
  const TokenPair p1 = ok(svc.start(db.alice, kT0));
  const TokenPair p2 = ok(svc.refresh(p1.refresh, kT0 + kDay));
  EXPECT_NE(p2.refresh, p1.refresh);
  EXPECT_EQ(ok(signer.verify(p2.access, kT0 + kDay)).user_id, "alice");
  EXPECT_EQ(p2.refresh_expires_at, kT0 + 8 * kDay);
  EXPECT_TRUE(ok(db.store->session(sha256_hex(p1.refresh)))->revoked_at.has_value());
  EXPECT_TRUE(ok(svc.refresh(p2.refresh, kT0 + 2 * kDay)).access.size() > 0);
}

TEST_F(Sessions, RefreshPicksUpChangedRoles) {
  const TokenPair p1 = ok(svc.start(db.alice, kT0));
  const std::vector<std::string> roles{"admin"};
  ASSERT_TRUE(ok(db.store->set_roles("alice", roles)));
  const TokenPair p2 = ok(svc.refresh(p1.refresh, kT0 + 1));
  EXPECT_EQ(ok(signer.verify(p2.access, kT0 + 1)).roles, roles);
}

TEST_F(Sessions, ReusedRefreshTokenRevokesEverySessionOfTheUser) {
  const TokenPair laptop = ok(svc.start(db.alice, kT0));
  const TokenPair phone = ok(svc.start(db.alice, kT0));
  const TokenPair bobs = ok(svc.start(db.bob, kT0));
  const TokenPair rotated = ok(svc.refresh(laptop.refresh, kT0 + 1));
  // The old laptop token shows up again: someone else has it.
  EXPECT_EQ(code_of(svc.refresh(laptop.refresh, kT0 + 2)), ErrorCode::Unauthenticated);
  EXPECT_EQ(code_of(svc.refresh(rotated.refresh, kT0 + 3)), ErrorCode::Unauthenticated);
  EXPECT_EQ(code_of(svc.refresh(phone.refresh, kT0 + 3)), ErrorCode::Unauthenticated);
  // Other users are untouched.
  EXPECT_TRUE(svc.refresh(bobs.refresh, kT0 + 3).has_value());
}

TEST_F(Sessions, RefreshAfterLogoutIsTreatedAsTheft) {
  const TokenPair a = ok(svc.start(db.alice, kT0));
  const TokenPair b = ok(svc.start(db.alice, kT0));
  ok(svc.logout(a.refresh, kT0 + 1));
  EXPECT_EQ(code_of(svc.refresh(a.refresh, kT0 + 2)), ErrorCode::Unauthenticated);
  EXPECT_EQ(code_of(svc.refresh(b.refresh, kT0 + 3)), ErrorCode::Unauthenticated);
}

TEST_F(Sessions, ExpiredRefreshTokenIsRefusedWithoutRevokingOthers) {
  const TokenPair old = ok(svc.start(db.alice, kT0));
  const TokenPair fresh = ok(svc.start(db.alice, kT0 + 5 * kDay));
  EXPECT_EQ(code_of(svc.refresh(old.refresh, kT0 + 7 * kDay)), ErrorCode::Unauthenticated);
  EXPECT_TRUE(svc.refresh(fresh.refresh, kT0 + 7 * kDay).has_value());
}

TEST_F(Sessions, UnknownAndMalformedRefreshTokensAreRefused) {
  (void)ok(svc.start(db.alice, kT0));
  for (const std::string& bad :
       {std::string(), std::string("x"), random_token(32), random_token(31), random_token(33),
        std::string(43, '='), std::string(42, 'a') + "!"}) {
    EXPECT_EQ(code_of(svc.refresh(bad, kT0)), ErrorCode::Unauthenticated) << bad;
    EXPECT_EQ(code_of(svc.logout(bad, kT0)), ErrorCode::Unauthenticated) << bad;
  }
}

TEST_F(Sessions, LogoutEndsOneSessionAndIsIdempotent) {
  const TokenPair a = ok(svc.start(db.alice, kT0));
  const TokenPair b = ok(svc.start(db.alice, kT0));
  ok(svc.logout(a.refresh, kT0 + 1));
  ok(svc.logout(a.refresh, kT0 + 2));  // twice is fine, and no theft alarm
  EXPECT_TRUE(svc.refresh(b.refresh, kT0 + 3).has_value());
  EXPECT_TRUE(ok(db.store->session(sha256_hex(a.refresh)))->revoked_at.has_value());
}

TEST_F(Sessions, NonPositiveRefreshTtlIsRefusedAtStartUp) {
  EXPECT_THROW(SessionService(*db.store, signer, 0), std::invalid_argument);
}

}  // namespace
}  // namespace cx::auth
