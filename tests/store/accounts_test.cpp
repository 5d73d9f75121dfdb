// Users, API keys (hashes only) and sessions (refresh-token rotation).

#include <gtest/gtest.h>

#include "store_fixture.hpp"

namespace cx::store::test {
namespace {

/// A 64-hex-digit stand-in for a SHA-256 (the store never hashes; callers do).
std::string hex(char c) {
  return std::string(64, c);
}

struct AccountsTest : ::testing::Test {
  TempDir dir;
  std::unique_ptr<SqliteReadStore> s = open_store(dir / "r.db");

  void add_user(const std::string& id, const std::string& email) {
    ASSERT_TRUE(ok(s->create_user(User{id, email, 1'000, {"trader"}})));
  }
};

TEST_F(AccountsTest, UserRoundTripWithSortedUniqueRoles) {
  ASSERT_TRUE(ok(s->create_user(
      User{"u-1", "Ann@Example.com", 1'700'000'000'000, {"trader", "admin", "trader"}})));
  auto u = ok(s->user("u-1"));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->email, "Ann@Example.com");
  EXPECT_EQ(u->created_at, 1'700'000'000'000);
  EXPECT_EQ(u->roles, (std::vector<std::string>{"admin", "trader"}));
  auto by_mail = ok(s->user_by_email("ann@example.COM"));  // emails ignore ASCII case
  ASSERT_TRUE(by_mail);
  EXPECT_EQ(by_mail->id, "u-1");
  EXPECT_FALSE(ok(s->user("nobody")));
}

TEST_F(AccountsTest, DuplicateIdOrEmailIsAConflictNotAnError) {
  add_user("u-1", "a@x.io");
  EXPECT_FALSE(ok(s->create_user(User{"u-1", "other@x.io", 1, {}})));
  EXPECT_FALSE(ok(s->create_user(User{"u-2", "A@X.IO", 1, {}})));
  EXPECT_TRUE(ok(s->create_user(User{"u-2", "b@x.io", 1, {}})));
}

TEST_F(AccountsTest, RolesAreReplacedAndValidated) {
  add_user("u-1", "a@x.io");
  const std::vector<std::string> roles{"admin"};
  EXPECT_TRUE(ok(s->set_roles("u-1", roles)));
  EXPECT_EQ(ok(s->user("u-1"))->roles, roles);
  EXPECT_FALSE(ok(s->set_roles("ghost", roles)));
  const std::vector<std::string> bad{"has space"};
  auto r = s->set_roles("u-1", bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error_class(), ErrorClass::Malformed);
}

TEST_F(AccountsTest, ApiKeysAreStoredByHashListedByPrefixAndRevoked) {
  add_user("u-1", "a@x.io");
  ApiKey k{"tak_1", KeyKind::TraderAk, "u-1", hex('a'), "bot", 2'000, {}, {}};
  ASSERT_TRUE(ok(s->create_api_key(k)));
  ASSERT_TRUE(
      ok(s->create_api_key(ApiKey{"uak_1", KeyKind::UserAk, "u-1", hex('b'), "", 2'001, {}, {}})));
  auto found = ok(s->api_key_by_hash(hex('a')));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->prefix, "tak_1");
  EXPECT_EQ(found->kind, KeyKind::TraderAk);
  EXPECT_EQ(found->label, "bot");
  EXPECT_TRUE(found->active());
  EXPECT_FALSE(ok(s->api_key_by_hash(hex('c'))));

  EXPECT_EQ(ok(s->api_keys("u-1", std::nullopt)).size(), 2u);
  auto traders = ok(s->api_keys("u-1", KeyKind::TraderAk));
  ASSERT_EQ(traders.size(), 1u);
  EXPECT_EQ(traders[0].prefix, "tak_1");

  EXPECT_TRUE(ok(s->touch_api_key(hex('a'), 2'500)));
  EXPECT_EQ(ok(s->api_key_by_hash(hex('a')))->last_used_at, 2'500);

  EXPECT_FALSE(ok(s->revoke_api_key("someone-else", "tak_1", 3'000)));
  EXPECT_TRUE(ok(s->revoke_api_key("u-1", "tak_1", 3'000)));
  EXPECT_FALSE(ok(s->revoke_api_key("u-1", "tak_1", 3'001))) << "already revoked";
  auto revoked = ok(s->api_key_by_hash(hex('a')));
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->revoked_at, 3'000);
  EXPECT_FALSE(revoked->active());
}

TEST_F(AccountsTest, ApiKeyClashesAndBadInputs) {
  add_user("u-1", "a@x.io");
  ASSERT_TRUE(ok(s->create_api_key(ApiKey{"p1", KeyKind::UserAk, "u-1", hex('a'), "", 1, {}, {}})));
  EXPECT_FALSE(ok(s->create_api_key(ApiKey{"p1", KeyKind::UserAk, "u-1", hex('b'), "", 1, {}, {}})))
      << "prefix taken";
  EXPECT_FALSE(ok(s->create_api_key(ApiKey{"p2", KeyKind::UserAk, "u-1", hex('a'), "", 1, {}, {}})))
      << "hash taken";
  auto upper = s->create_api_key(ApiKey{"p3", KeyKind::UserAk, "u-1", hex('A'), "", 1, {}, {}});
  EXPECT_FALSE(upper.has_value()) << "hashes are lowercase hex";
  auto short_hash = s->api_key_by_hash("abc");
  EXPECT_FALSE(short_hash.has_value());
  auto ghost = s->create_api_key(ApiKey{"p4", KeyKind::UserAk, "ghost", hex('d'), "", 1, {}, {}});
  ASSERT_FALSE(ghost.has_value());
  EXPECT_NE(ghost.error().message.find("unknown user"), std::string::npos);
  auto prefix =
      s->create_api_key(ApiKey{"bad prefix", KeyKind::UserAk, "u-1", hex('e'), "", 1, {}, {}});
  EXPECT_FALSE(prefix.has_value());
}

TEST_F(AccountsTest, RotatingAKeyRevokesTheOldAndAddsTheNewAtomically) {
  add_user("u-1", "a@x.io");
  ASSERT_TRUE(
      ok(s->create_api_key(ApiKey{"old", KeyKind::TraderAk, "u-1", hex('a'), "", 1, {}, {}})));
  ASSERT_TRUE(
      ok(s->create_api_key(ApiKey{"other", KeyKind::TraderAk, "u-1", hex('c'), "", 1, {}, {}})));
  // The replacement clashes (hash of "other"): nothing changes, the old key stays active.
  EXPECT_FALSE(ok(s->rotate_api_key(
      "u-1", "old", ApiKey{"new", KeyKind::TraderAk, "u-1", hex('c'), "", 5, {}, {}}, 5)));
  EXPECT_TRUE(ok(s->api_key_by_hash(hex('a')))->active());
  EXPECT_TRUE(ok(s->rotate_api_key(
      "u-1", "old", ApiKey{"new", KeyKind::TraderAk, "u-1", hex('b'), "", 6, {}, {}}, 6)));
  EXPECT_FALSE(ok(s->api_key_by_hash(hex('a')))->active());
  EXPECT_TRUE(ok(s->api_key_by_hash(hex('b')))->active());
  // The old key is gone: rotating it again is refused.
  EXPECT_FALSE(ok(s->rotate_api_key(
      "u-1", "old", ApiKey{"newer", KeyKind::TraderAk, "u-1", hex('d'), "", 7, {}, {}}, 7)));
  EXPECT_FALSE(ok(s->api_key_by_hash(hex('d'))));
}

TEST_F(AccountsTest, SessionsRotateOnceAndRevoke) {
  add_user("u-1", "a@x.io");
  ASSERT_TRUE(ok(s->create_session(Session{hex('1'), "u-1", 1'000, 10'000, {}})));
  auto got = ok(s->session(hex('1')));
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->active(5'000));
  EXPECT_FALSE(got->active(10'000));

  // Rotation: the old refresh token is revoked, the new one stored.
  EXPECT_TRUE(ok(s->rotate_session(hex('1'), Session{hex('2'), "u-1", 2'000, 20'000, {}}, 2'000)));
  EXPECT_FALSE(ok(s->session(hex('1')))->active(2'001));
  EXPECT_TRUE(ok(s->session(hex('2')))->active(2'001));
  // Reusing the old token (theft, or a race) is refused and stores nothing.
  EXPECT_FALSE(ok(s->rotate_session(hex('1'), Session{hex('3'), "u-1", 2'500, 20'000, {}}, 2'500)));
  EXPECT_FALSE(ok(s->session(hex('3'))));
  // An expired token cannot be rotated either.
  EXPECT_FALSE(
      ok(s->rotate_session(hex('2'), Session{hex('4'), "u-1", 30'000, 40'000, {}}, 30'000)));

  ASSERT_TRUE(ok(s->create_session(Session{hex('5'), "u-1", 3'000, 50'000, {}})));
  EXPECT_TRUE(ok(s->revoke_session(hex('5'), 3'100)));  // logout
  EXPECT_FALSE(ok(s->revoke_session(hex('5'), 3'200)));
}

TEST_F(AccountsTest, RevokeAllAndPurge) {
  add_user("u-1", "a@x.io");
  add_user("u-2", "b@x.io");
  ASSERT_TRUE(ok(s->create_session(Session{hex('1'), "u-1", 0, 10'000, {}})));
  ASSERT_TRUE(ok(s->create_session(Session{hex('2'), "u-1", 0, 10'000, {}})));
  ASSERT_TRUE(ok(s->create_session(Session{hex('3'), "u-1", 0, 500, {}})));  // expires first
  ASSERT_TRUE(ok(s->create_session(Session{hex('4'), "u-2", 0, 10'000, {}})));
  EXPECT_EQ(ok(s->revoke_sessions_of("u-1", 1'000)), 2);
  EXPECT_FALSE(ok(s->session(hex('1')))->active(1'001));
  EXPECT_TRUE(ok(s->session(hex('4')))->active(1'001));
  EXPECT_EQ(ok(s->purge_sessions(2'000)), 3);  // two revoked, one expired
  EXPECT_FALSE(ok(s->session(hex('1'))));
  EXPECT_TRUE(ok(s->session(hex('4'))));
}

TEST_F(AccountsTest, SessionForUnknownUserIsRefused) {
  auto r = s->create_session(Session{hex('1'), "ghost", 0, 10, {}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error_class(), ErrorClass::Malformed);
}

TEST_F(AccountsTest, TwoConnectionsSeeEachOthersWrites) {
  auto other = open_store(dir / "r.db");
  add_user("u-1", "a@x.io");
  EXPECT_TRUE(ok(other->user("u-1")));
}

}  // namespace
}  // namespace cx::store::test
