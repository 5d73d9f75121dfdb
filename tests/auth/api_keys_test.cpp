// API keys: format, storage by hash, listing, rotation, revocation, authentication and cache.

#include "auth/api_keys.hpp"

#include <gtest/gtest.h>

#include "auth/crypto.hpp"
#include "auth_fixture.hpp"

namespace cx::auth {
namespace {

using store::KeyKind;
using test::code_of;
using test::ok;

constexpr Timestamp kT0 = 1'700'000'000'000;

TEST(ApiKeys, SecretHasTheDocumentedFormat) {
  const auto all_of = [](std::string_view s, std::string_view set) {
    return s.find_first_not_of(set) == std::string_view::npos;
  };
  const std::string base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (auto [kind, letter] : {std::pair{KeyKind::UserAk, "u"}, std::pair{KeyKind::TraderAk, "t"},
                              std::pair{KeyKind::ProviderAk, "p"}}) {
    const IssuedKey k = make_api_key(kind, "alice", "bot", kT0);
    // cx_<k>_<12 base62>_<43 base64url>
    ASSERT_EQ(k.secret.size(), 61u) << k.secret;
    EXPECT_EQ(k.secret.substr(0, 5), "cx_" + std::string(letter) + "_");
    EXPECT_TRUE(all_of(k.secret.substr(5, 12), base62)) << k.secret;
    EXPECT_EQ(k.secret[17], '_');
    EXPECT_EQ(k.record.prefix, std::string(letter) + "_" + k.secret.substr(5, 12));
    EXPECT_EQ(base64url_decode(k.secret.substr(18))->size(), 32u);
    EXPECT_EQ(k.record.hash, sha256_hex(k.secret));
    EXPECT_EQ(k.record.kind, kind);
    EXPECT_EQ(k.record.user_id, "alice");
    EXPECT_EQ(k.record.label, "bot");
    EXPECT_EQ(k.record.created_at, kT0);
    const auto name = parse_api_key(k.secret);
    ASSERT_TRUE(name);
    EXPECT_EQ(name->kind, kind);
    EXPECT_EQ(name->prefix, k.record.prefix);
  }
  EXPECT_NE(make_api_key(KeyKind::UserAk, "a", "", 0).secret,
            make_api_key(KeyKind::UserAk, "a", "", 0).secret);
}

TEST(ApiKeys, ParseRefusesAnythingElse) {
  const std::string good = make_api_key(KeyKind::TraderAk, "a", "", 0).secret;
  std::vector<std::string> bad{"",
                               "cx_",
                               good + "A",
                               good.substr(1),
                               "xx" + good.substr(2),
                               good.substr(0, good.size() - 1)};
  std::string s = good;
  s[3] = 'x';  // unknown kind
  bad.push_back(s);
  s = good;
  s[4] = '-';
  bad.push_back(s);
  s = good;
  s[7] = '_';  // not base62 inside the prefix
  bad.push_back(s);
  s = good;
  s[20] = '=';
  bad.push_back(s);
  for (const std::string& b : bad) EXPECT_FALSE(parse_api_key(b)) << b;
}

struct ApiKeysStore : ::testing::Test {
  test::StoreWithUsers db;
  KeyCache cache;
  KeyService svc{*db.store, &cache};
};

TEST_F(ApiKeysStore, CreatedKeyIsStoredByHashOnlyAndAuthenticates) {
  const IssuedKey k = ok(svc.create("alice", KeyKind::TraderAk, "market maker", kT0));
  const auto stored = ok(db.store->api_key_by_hash(sha256_hex(k.secret)));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->prefix, k.record.prefix);
  EXPECT_EQ(stored->label, "market maker");
  const CachedKey who = ok(authenticate_key(k.secret, KeyKind::TraderAk, cache, *db.store));
  EXPECT_EQ(who, (CachedKey{"alice", KeyKind::TraderAk, k.record.prefix}));
  EXPECT_EQ(cache.size(), 1u);
  // The second time comes from the cache.
  EXPECT_EQ(ok(authenticate_key(k.secret, KeyKind::TraderAk, cache, *db.store)), who);
}

TEST_F(ApiKeysStore, CreateChecksUserAndLabel) {
  EXPECT_EQ(code_of(svc.create("ghost", KeyKind::UserAk, "", kT0)), ErrorCode::NotFound);
  EXPECT_EQ(code_of(svc.create("alice", KeyKind::UserAk, std::string(65, 'x'), kT0)),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of(svc.create("alice", KeyKind::UserAk, "a\nb", kT0)), ErrorCode::InvalidArgument);
  EXPECT_TRUE(svc.create("alice", KeyKind::UserAk, std::string(64, 'x'), kT0).has_value());
}

TEST_F(ApiKeysStore, ListShowsPrefixesNotHashes) {
  const IssuedKey a = ok(svc.create("alice", KeyKind::TraderAk, "one", kT0));
  const IssuedKey b = ok(svc.create("alice", KeyKind::UserAk, "two", kT0 + 1));
  (void)ok(svc.create("bob", KeyKind::TraderAk, "bob's", kT0 + 2));
  const auto all = ok(svc.list("alice", std::nullopt));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].prefix, a.record.prefix);
  EXPECT_EQ(all[1].prefix, b.record.prefix);
  for (const auto& k : all) EXPECT_TRUE(k.hash.empty());
  const auto traders = ok(svc.list("alice", KeyKind::TraderAk));
  ASSERT_EQ(traders.size(), 1u);
  EXPECT_EQ(traders[0].label, "one");
}

TEST_F(ApiKeysStore, KeyOfAnotherKindIsForbidden) {
  const IssuedKey k = ok(svc.create("alice", KeyKind::UserAk, "", kT0));
  // Through the store, then through the cache.
  EXPECT_EQ(code_of(authenticate_key(k.secret, KeyKind::TraderAk, cache, *db.store)),
            ErrorCode::Forbidden);
  EXPECT_EQ(code_of(authenticate_key(k.secret, KeyKind::ProviderAk, cache, *db.store)),
            ErrorCode::Forbidden);
  EXPECT_TRUE(authenticate_key(k.secret, KeyKind::UserAk, cache, *db.store).has_value());
}

TEST_F(ApiKeysStore, UnknownAndMalformedKeysAreUnauthenticated) {
  const IssuedKey never_stored = make_api_key(KeyKind::TraderAk, "alice", "", kT0);
  for (const std::string& bad :
       {never_stored.secret, std::string(), std::string("cx_t_abc"), std::string("Bearer x")})
    EXPECT_EQ(code_of(authenticate_key(bad, KeyKind::TraderAk, cache, *db.store)),
              ErrorCode::Unauthenticated)
        << bad;
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(ApiKeysStore, RevokedKeyFailsAtOnceThroughTheCache) {
  const IssuedKey k = ok(svc.create("alice", KeyKind::TraderAk, "", kT0));
  ASSERT_TRUE(authenticate_key(k.secret, KeyKind::TraderAk, cache, *db.store));
  ASSERT_TRUE(cache.get(sha256_hex(k.secret)));
  ok(svc.revoke("alice", k.record.prefix, kT0 + 1));
  EXPECT_FALSE(cache.get(sha256_hex(k.secret)));
  EXPECT_EQ(code_of(authenticate_key(k.secret, KeyKind::TraderAk, cache, *db.store)),
            ErrorCode::Unauthenticated);
  EXPECT_TRUE(ok(db.store->api_key_by_hash(sha256_hex(k.secret)))->revoked_at.has_value());
  // Revoking again, or someone else's key, finds nothing.
  EXPECT_EQ(code_of(svc.revoke("alice", k.record.prefix, kT0 + 2)), ErrorCode::NotFound);
  const IssuedKey bobs = ok(svc.create("bob", KeyKind::TraderAk, "", kT0));
  EXPECT_EQ(code_of(svc.revoke("alice", bobs.record.prefix, kT0 + 2)), ErrorCode::NotFound);
  EXPECT_TRUE(authenticate_key(bobs.secret, KeyKind::TraderAk, cache, *db.store));
}

TEST_F(ApiKeysStore, RotationKeepsKindAndLabelAndKillsTheOldSecret) {
  const IssuedKey old = ok(svc.create("alice", KeyKind::ProviderAk, "gpu-node-3", kT0));
  ASSERT_TRUE(authenticate_key(old.secret, KeyKind::ProviderAk, cache, *db.store));
  const IssuedKey fresh = ok(svc.rotate("alice", old.record.prefix, kT0 + 1));
  EXPECT_EQ(fresh.record.kind, KeyKind::ProviderAk);
  EXPECT_EQ(fresh.record.label, "gpu-node-3");
  EXPECT_NE(fresh.record.prefix, old.record.prefix);
  EXPECT_EQ(code_of(authenticate_key(old.secret, KeyKind::ProviderAk, cache, *db.store)),
            ErrorCode::Unauthenticated);
  EXPECT_EQ(ok(authenticate_key(fresh.secret, KeyKind::ProviderAk, cache, *db.store)).prefix,
            fresh.record.prefix);
  EXPECT_EQ(code_of(svc.rotate("alice", old.record.prefix, kT0 + 2)), ErrorCode::NotFound);
  EXPECT_EQ(code_of(svc.rotate("bob", fresh.record.prefix, kT0 + 2)), ErrorCode::NotFound);
}

TEST(KeyCache, PutIfRefusesAfterAnEraseSinceTheEpochWasTaken) {
  KeyCache cache;
  const std::uint64_t seen = cache.epoch();
  cache.erase("h1");  // a revocation lands while a reader is in the store
  EXPECT_FALSE(cache.put_if("h1", CachedKey{"alice", KeyKind::UserAk, "u_x"}, seen));
  EXPECT_FALSE(cache.get("h1"));
  EXPECT_TRUE(cache.put_if("h1", CachedKey{"alice", KeyKind::UserAk, "u_x"}, cache.epoch()));
  EXPECT_TRUE(cache.get("h1"));
}

TEST(KeyCache, StaysWithinItsBound) {
  KeyCache cache(3);
  for (int i = 0; i < 10; ++i) {
    cache.put("h" + std::to_string(i), CachedKey{"u", KeyKind::UserAk, "p"});
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_TRUE(cache.get("h9"));
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace cx::auth
