// Numbered migrations: applied once, in order, each in its own transaction; a newer schema is
// refused.

#include <gtest/gtest.h>

#include <array>

#include "store/migrations.hpp"
#include "store/schema.hpp"
#include "store_fixture.hpp"

namespace cx::store::test {
namespace {

constexpr std::array<Migration, 2> kTwo{{
    {1, "create a", "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);"},
    {2, "create b", "CREATE TABLE b (y INTEGER);"},
}};

std::int64_t count(Db& db, const std::string& sql) {
  Stmt s = ok(db.prepare(sql));
  EXPECT_TRUE(ok(s.step()));
  return s.int64(0);
}

TEST(Migrations, ApplyInOrderAndRecordEachVersion) {
  TempDir dir;
  Db db = ok(Db::open(dir / "m.db"));
  EXPECT_EQ(ok(schema_version(db)), 0);
  EXPECT_EQ(ok(migrate(db, kTwo)), 2);
  EXPECT_EQ(ok(schema_version(db)), 2);
  EXPECT_EQ(count(db, "SELECT count(*) FROM schema_version"), 2);
  EXPECT_EQ(count(db, "SELECT count(*) FROM a"), 1);
}

TEST(Migrations, AreIdempotentOnReopen) {
  TempDir dir;
  {
    Db db = ok(Db::open(dir / "m.db"));
    EXPECT_EQ(ok(migrate(db, std::span(kTwo).first(1))), 1);
  }
  for (int i = 0; i < 3; ++i) {
    Db db = ok(Db::open(dir / "m.db"));
    EXPECT_EQ(ok(migrate(db, kTwo)), 2);
    EXPECT_EQ(count(db, "SELECT count(*) FROM a"), 1) << "migration 1 ran again";
    EXPECT_EQ(count(db, "SELECT count(*) FROM schema_version"), 2);
  }
}

TEST(Migrations, ANewerSchemaIsRefusedAndLeftAlone) {
  TempDir dir;
  {
    Db db = ok(Db::open(dir / "m.db"));
    ok(migrate(db, kTwo));
  }
  Db db = ok(Db::open(dir / "m.db"));
  auto r = migrate(db, std::span(kTwo).first(1));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::Corrupt);
  EXPECT_NE(r.error().message.find("schema version 2, newer than this build knows (1)"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(ok(schema_version(db)), 2);
}

TEST(Migrations, AFailingMigrationIsRolledBackAndEarlierOnesKept) {
  TempDir dir;
  const std::array<Migration, 3> bad{{
      kTwo[0],
      kTwo[1],
      {3, "broken", "CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1);"},
  }};
  Db db = ok(Db::open(dir / "m.db"));
  auto r = migrate(db, bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("migration 3 (broken) failed"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(ok(schema_version(db)), 2);
  EXPECT_EQ(count(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0)
      << "half of migration 3 stayed";
}

TEST(Migrations, MustBeNumberedWithoutGaps) {
  TempDir dir;
  const std::array<Migration, 2> gap{{kTwo[0], {3, "skips 2", "SELECT 1;"}}};
  Db db = ok(Db::open(dir / "m.db"));
  auto r = migrate(db, gap);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
}

TEST(ReadStoreSchema, OpensTwiceAndRefusesAFutureVersion) {
  TempDir dir;
  const auto known = static_cast<int>(read_store_migrations().size());
  { auto s = open_store(dir / "r.db"); }
  {
    auto s = open_store(dir / "r.db");  // reopen: nothing to do
    EXPECT_EQ(ok(schema_version(s->db())), known);
    // A later build added a migration.
    ok(s->db().exec("INSERT INTO schema_version (version, description) VALUES (" +
                    std::to_string(known + 1) + ", 'from the future')"));
  }
  auto r = SqliteReadStore::open(dir / "r.db");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::Corrupt);
  EXPECT_NE(r.error().message.find("newer than this build"), std::string::npos)
      << r.error().message;
}

TEST(ReadStoreSchema, ReadOnlyOpenChecksTheVersionWithoutMigrating) {
  TempDir dir;
  auto r = SqliteReadStore::open(dir / "r.db", DbOptions{.read_only = true});
  EXPECT_FALSE(r.has_value()) << "a missing file cannot be opened read-only";
  { auto s = open_store(dir / "r.db"); }
  auto ro = ok(SqliteReadStore::open(dir / "r.db", DbOptions{.read_only = true}));
  EXPECT_EQ(ok(ro->projected_seq()), 0u);
}

}  // namespace
}  // namespace cx::store::test
