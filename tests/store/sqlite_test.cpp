// The SQLite layer: connection settings, statements, transactions, errors.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "store/sqlite.hpp"
#include "store_fixture.hpp"

namespace cx::store::test {
namespace {

std::string one_text(Db& db, const std::string& sql) {
  Stmt s = ok(db.prepare(sql));
  EXPECT_TRUE(ok(s.step()));
  return std::string(s.text(0));
}

TEST(Sqlite, OpensInWalModeWithNormalSyncAndForeignKeys) {
  TempDir dir;
  Db db = ok(Db::open(dir / "a.db"));
  EXPECT_EQ(one_text(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(one_text(db, "PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(one_text(db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(one_text(db, "PRAGMA busy_timeout"), "5000");
}

TEST(Sqlite, BindsAndReadsBackIntegersTextAndNull) {
  TempDir dir;
  Db db = ok(Db::open(dir / "a.db"));
  ok(db.exec("CREATE TABLE t (a INTEGER, b INTEGER, c TEXT, d INTEGER)"));
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max() - 5;  // above INT64_MAX
  {
    Stmt ins = ok(db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)"));
    ok(ins.bind_all(std::numeric_limits<std::int64_t>::min(), big, std::string_view("h\xC3\xA9llo"),
                    std::optional<std::int64_t>{})
           .run());
  }
  Stmt q = ok(db.prepare("SELECT a, b, c, d FROM t"));
  ASSERT_TRUE(ok(q.step()));
  EXPECT_EQ(q.int64(0), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(q.uint64(1), big);  // bit-for-bit round trip
  EXPECT_EQ(q.text(2), "h\xC3\xA9llo");
  EXPECT_TRUE(q.is_null(3));
  EXPECT_FALSE(q.opt_int64(3).has_value());
  EXPECT_FALSE(ok(q.step()));
}

TEST(Sqlite, BadSqlIsAnErrorNamingTheStatementAndSqlitesMessage) {
  TempDir dir;
  Db db = ok(Db::open(dir / "a.db"));
  auto s = db.prepare("SELEC 1");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::IoError);
  EXPECT_NE(s.error().message.find("SELEC 1"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("syntax error"), std::string::npos) << s.error().message;
}

TEST(Sqlite, ABindOutOfRangeIsReportedByStep) {
  TempDir dir;
  Db db = ok(Db::open(dir / "a.db"));
  Stmt s = ok(db.prepare("SELECT ?"));
  auto r = s.bind(2, std::int64_t{1}).step();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("bind parameter 2"), std::string::npos) << r.error().message;
}

TEST(Sqlite, AConstraintViolationIsAnError) {
  TempDir dir;
  Db db = ok(Db::open(dir / "a.db"));
  ok(db.exec("CREATE TABLE t (a INTEGER PRIMARY KEY)"));
  ok(db.exec("INSERT INTO t VALUES (1)"));
  auto r = db.exec("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("UNIQUE"), std::string::npos) << r.error().message;
}

TEST(Sqlite, ATransactionRollsBackUnlessCommitted) {
  TempDir dir;
  Db db = ok(Db::open(dir / "a.db"));
  ok(db.exec("CREATE TABLE t (a INTEGER)"));
  {
    Transaction tx = ok(Transaction::begin(db));
    ok(db.exec("INSERT INTO t VALUES (1)"));
    EXPECT_TRUE(db.in_transaction());
  }  // dropped: rolled back
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(one_text(db, "SELECT count(*) FROM t"), "0");
  {
    Transaction tx = ok(Transaction::begin(db));
    ok(db.exec("INSERT INTO t VALUES (2)"));
    ok(tx.commit());
  }
  EXPECT_EQ(one_text(db, "SELECT count(*) FROM t"), "1");
}

TEST(Sqlite, ASavepointNestsInsideATransaction) {
  TempDir dir;
  Db db = ok(Db::open(dir / "a.db"));
  ok(db.exec("CREATE TABLE t (a INTEGER)"));
  Transaction tx = ok(Transaction::begin(db));
  ok(db.exec("INSERT INTO t VALUES (1)"));
  {
    Savepoint sp = ok(Savepoint::begin(db));
    ok(db.exec("INSERT INTO t VALUES (2)"));
  }  // rolled back to the savepoint only
  {
    Savepoint sp = ok(Savepoint::begin(db));
    ok(db.exec("INSERT INTO t VALUES (3)"));
    ok(sp.release());
  }
  ok(tx.commit());
  EXPECT_EQ(one_text(db, "SELECT group_concat(a) FROM t"), "1,3");
}

TEST(Sqlite, ACachedQueryResetsWhenItsLeaseEnds) {
  TempDir dir;
  Db db = ok(Db::open(dir / "a.db"));
  ok(db.exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2), (3)"));
  for (int round = 0; round < 3; ++round) {
    Query q = ok(db.query("SELECT a FROM t ORDER BY a"));
    ASSERT_TRUE(ok(q->step()));
    EXPECT_EQ(q->int64(0), 1);  // starts over each time: the last lease reset it
  }
  // A half-read SELECT whose lease ended holds no snapshot: another connection can checkpoint.
  Db other = ok(Db::open(dir / "a.db"));
  ok(other.exec("INSERT INTO t VALUES (4)"));
  Stmt cp = ok(other.prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
  ASSERT_TRUE(ok(cp.step()));
  EXPECT_EQ(cp.int64(0), 0) << "checkpoint was blocked";
}

TEST(Sqlite, ReadOnlyConnectionCannotWrite) {
  TempDir dir;
  {
    Db db = ok(Db::open(dir / "a.db"));
    ok(db.exec("CREATE TABLE t (a INTEGER)"));
  }
  Db ro = ok(Db::open(dir / "a.db", DbOptions{.read_only = true}));
  EXPECT_EQ(one_text(ro, "SELECT count(*) FROM t"), "0");
  EXPECT_FALSE(ro.exec("INSERT INTO t VALUES (1)").has_value());
}

TEST(Sqlite, OpeningAMissingDirectoryFailsWithThePath) {
  auto db = Db::open("/nonexistent-dir-cx/a.db");
  ASSERT_FALSE(db.has_value());
  EXPECT_NE(db.error().message.find("/nonexistent-dir-cx/a.db"), std::string::npos);
}

TEST(Sqlite, AFileThatIsNotADatabaseIsCorrupt) {
  TempDir dir;
  {
    std::FILE* f = std::fopen((dir / "junk.db").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const char junk[] = "this is definitely not an SQLite database file, not at all.....";
    std::fwrite(junk, 1, sizeof junk, f);
    std::fclose(f);
  }
  auto db = Db::open(dir / "junk.db");
  ASSERT_FALSE(db.has_value());
  EXPECT_EQ(db.error().code, ErrorCode::Corrupt) << db.error().message;
}

}  // namespace
}  // namespace cx::store::test
