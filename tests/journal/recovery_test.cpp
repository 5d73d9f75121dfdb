// Start-up recovery: what a torn tail is (cut off and reported) and what corruption is (refused).

#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "journal/log_writer.hpp"
#include "journal_fixture.hpp"

namespace cx::journal {
namespace {

using test::append_range;
using test::expect_records;
using test::flip_bit;
using test::offset_of;
using test::read_all;
using test::read_file;
using test::segment_path;
using test::TempDir;
using test::write_file;
using test::write_log;

constexpr SeqNo kLast = 20;

// A log of seqs 1..20 in one segment, committed five records at a time.
void write_base(const std::filesystem::path& dir) {
  write_log(dir, 1, kLast, 5);
}

void copy_dir(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

// Reopening after recovery must continue at `next` and read back [1, next + 9].
void expect_writer_continues(const std::filesystem::path& dir, SeqNo next) {
  {
    auto w = LogWriter::open(dir);
    ASSERT_TRUE(w.has_value()) << w.error().message;
    EXPECT_FALSE(w->recovery().torn_tail.has_value());
    append_range(*w, next, next + 9, 4);
  }
  auto records = read_all(dir);
  ASSERT_TRUE(records.has_value()) << records.error().message;
  expect_records(*records, 1, next + 9);
}

TEST(Recovery, TornTailAtEveryByteOfTheLastRecordIsCutOffAndReported) {
  TempDir base;
  write_base(base.path());
  const auto seg = segment_path(base.path(), 1);
  const std::size_t last_start = offset_of(1, kLast);
  const std::size_t full = std::filesystem::file_size(seg);
  ASSERT_EQ(full, offset_of(1, kLast + 1));

  for (std::size_t cut = last_start + 1; cut < full; ++cut) {
    SCOPED_TRACE("file cut at " + std::to_string(cut));
    TempDir dir;
    const auto copy = dir / "log";
    copy_dir(base.path(), copy);
    std::filesystem::resize_file(segment_path(copy, 1), cut);
    {
      auto w = LogWriter::open(copy);
      ASSERT_TRUE(w.has_value()) << w.error().message;
      const auto& report = w->recovery();
      ASSERT_TRUE(report.torn_tail.has_value());
      EXPECT_EQ(report.torn_tail->file, segment_path(copy, 1));
      EXPECT_EQ(report.torn_tail->offset, last_start);
      EXPECT_EQ(report.torn_tail->bytes_cut, cut - last_start);
      EXPECT_FALSE(report.torn_tail->segment_removed);
      EXPECT_EQ(report.last_seq, kLast - 1);
      EXPECT_EQ(report.records, kLast - 1);
      EXPECT_EQ(w->last_seq(), kLast - 1);
    }
    EXPECT_EQ(std::filesystem::file_size(segment_path(copy, 1)), last_start);
    expect_writer_continues(copy, kLast);
  }
}

TEST(Recovery, CleanEndIsNotATornTail) {
  TempDir dir;
  write_base(dir.path());
  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value());
  EXPECT_FALSE(w->recovery().torn_tail.has_value());
  EXPECT_EQ(w->recovery().last_seq, kLast);
}

TEST(Recovery, FlippedBitInAnyByteOfTheLastRecordIsATornTail) {
  TempDir base;
  write_base(base.path());
  const std::size_t last_start = offset_of(1, kLast);
  const std::size_t full = offset_of(1, kLast + 1);
  for (std::size_t at = last_start; at < full; ++at) {
    for (unsigned bit : {0u, 7u}) {
      SCOPED_TRACE("bit " + std::to_string(bit) + " of byte " + std::to_string(at));
      TempDir dir;
      const auto copy = dir / "log";
      copy_dir(base.path(), copy);
      flip_bit(segment_path(copy, 1), at, bit);
      auto w = LogWriter::open(copy);
      ASSERT_TRUE(w.has_value()) << w.error().message;
      ASSERT_TRUE(w->recovery().torn_tail.has_value());
      EXPECT_EQ(w->recovery().torn_tail->offset, last_start);
      EXPECT_EQ(w->recovery().torn_tail->bytes_cut, full - last_start);
      EXPECT_EQ(w->recovery().last_seq, kLast - 1);
    }
  }
}

TEST(Recovery, FlippedBitInAMiddleRecordFailsStartUpWithCorrupt) {
  TempDir dir;
  write_base(dir.path());
  const auto seg = segment_path(dir.path(), 1);
  const std::size_t at = offset_of(1, 8);  // seq 8, in the second of four commits
  flip_bit(seg, at + 20, 3);
  const auto before = read_file(seg);

  auto w = LogWriter::open(dir.path());
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ErrorCode::Corrupt);
  EXPECT_NE(w.error().message.find(seg.string()), std::string::npos) << w.error().message;
  EXPECT_NE(w.error().message.find("offset " + std::to_string(at)), std::string::npos)
      << w.error().message;
  EXPECT_EQ(read_file(seg), before) << "a failed recovery must not change the files";

  auto records = read_all(dir.path());
  ASSERT_FALSE(records.has_value());
  EXPECT_EQ(records.error().code, ErrorCode::Corrupt);
}

TEST(Recovery, DamageInsideTheLastCommitIsATornTail) {
  // The last commit's write may reach the disk out of order (a later page persisted, an earlier
  // one not); none of it was acknowledged, so everything from the first damaged record goes.
  TempDir dir;
  write_base(dir.path());  // last commit: seqs 16..20
  const auto seg = segment_path(dir.path(), 1);
  auto bytes = read_file(seg);
  const std::size_t from = offset_of(1, 17);
  const std::size_t to = offset_of(1, 18);
  for (std::size_t i = from; i < to; ++i) bytes[i] = std::byte{0};
  write_file(seg, bytes);

  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value()) << w.error().message;
  ASSERT_TRUE(w->recovery().torn_tail.has_value());
  EXPECT_EQ(w->recovery().torn_tail->offset, from);
  EXPECT_EQ(w->recovery().last_seq, 16u);
}

TEST(Recovery, DamagedCommitFollowedByALaterCommitIsCorrupt) {
  // Seq 16 opens the last commit; damaging it leaves 17..20 valid but not commit starts, so this
  // is the last commit torn. Damaging seq 11 (opening the third commit) leaves commit 16..20
  // behind it, which is corruption.
  TempDir dir;
  write_base(dir.path());
  flip_bit(segment_path(dir.path(), 1), offset_of(1, 11) + 9);
  auto w = LogWriter::open(dir.path());
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ErrorCode::Corrupt);
  EXPECT_NE(w.error().message.find("followed by a valid commit"), std::string::npos)
      << w.error().message;
}

TEST(Recovery, TruncatedSegmentThatIsNotTheLastIsCorrupt) {
  TempDir dir;
  write_log(dir.path(), 1, 200, 10, WriterOptions{.segment_bytes = 1024});
  auto segments = list_segments(dir.path());
  ASSERT_TRUE(segments.has_value());
  ASSERT_GT(segments->size(), 2u);
  const auto first = segments->front().path;
  std::filesystem::resize_file(first, std::filesystem::file_size(first) - 3);
  auto w = LogWriter::open(dir.path());
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ErrorCode::Corrupt);
  EXPECT_NE(w.error().message.find(first.string()), std::string::npos) << w.error().message;
}

TEST(Recovery, FlippedBitInASegmentThatIsNotTheLastIsCorrupt) {
  TempDir dir;
  write_log(dir.path(), 1, 200, 10, WriterOptions{.segment_bytes = 1024});
  auto segments = list_segments(dir.path());
  ASSERT_TRUE(segments.has_value());
  const auto second = (*segments)[1];
  // The last record of the second segment: nothing follows it in its file.
  const std::size_t size = std::filesystem::file_size(second.path);
  flip_bit(second.path, size - 1);
  auto w = LogWriter::open(dir.path());
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ErrorCode::Corrupt);
  EXPECT_NE(w.error().message.find("not the last"), std::string::npos) << w.error().message;
}

TEST(Recovery, MissingSegmentIsASequenceGap) {
  TempDir dir;
  write_log(dir.path(), 1, 200, 10, WriterOptions{.segment_bytes = 1024});
  auto segments = list_segments(dir.path());
  ASSERT_TRUE(segments.has_value());
  ASSERT_GT(segments->size(), 3u);
  std::filesystem::remove((*segments)[1].path);
  auto w = LogWriter::open(dir.path());
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ErrorCode::Corrupt);
  EXPECT_NE(w.error().message.find("sequence gap"), std::string::npos) << w.error().message;
}

TEST(Recovery, LastSegmentWithATornHeaderIsRemoved) {
  TempDir dir;
  write_base(dir.path());
  const auto torn = segment_path(dir.path(), kLast + 1);
  write_file(torn, std::vector<std::byte>(7, std::byte{'C'}));
  {
    auto w = LogWriter::open(dir.path());
    ASSERT_TRUE(w.has_value()) << w.error().message;
    ASSERT_TRUE(w->recovery().torn_tail.has_value());
    EXPECT_TRUE(w->recovery().torn_tail->segment_removed);
    EXPECT_EQ(w->recovery().torn_tail->bytes_cut, 7u);
    EXPECT_EQ(w->recovery().last_seq, kLast);
  }
  EXPECT_FALSE(std::filesystem::exists(torn));
  expect_writer_continues(dir.path(), kLast + 1);
}

TEST(Recovery, AllZeroLastSegmentIsRemoved) {
  // A segment created just before a crash whose blocks never reached the disk.
  TempDir dir;
  write_base(dir.path());
  const auto zeros = segment_path(dir.path(), kLast + 1);
  write_file(zeros, std::vector<std::byte>(4096, std::byte{0}));
  {
    auto w = LogWriter::open(dir.path());
    ASSERT_TRUE(w.has_value()) << w.error().message;
    ASSERT_TRUE(w->recovery().torn_tail.has_value());
    EXPECT_TRUE(w->recovery().torn_tail->segment_removed);
    EXPECT_EQ(w->recovery().torn_tail->bytes_cut, 4096u);
  }
  expect_writer_continues(dir.path(), kLast + 1);
}

TEST(Recovery, LastSegmentWithOnlyAHeaderIsKept) {
  TempDir dir;
  write_base(dir.path());
  const auto empty = segment_path(dir.path(), kLast + 1);
  const auto header = encode_segment_header(kLast + 1);
  write_file(empty, {header.begin(), header.end()});
  {
    auto w = LogWriter::open(dir.path());
    ASSERT_TRUE(w.has_value()) << w.error().message;
    EXPECT_FALSE(w->recovery().torn_tail.has_value());
    EXPECT_EQ(w->recovery().segments, 2u);
    EXPECT_EQ(w->last_seq(), kLast);
  }
  expect_writer_continues(dir.path(), kLast + 1);
  EXPECT_GT(std::filesystem::file_size(empty), format::kSegmentHeaderSize);
}

TEST(Recovery, ZeroFilledTailIsCutOff) {
  TempDir dir;
  write_base(dir.path());
  const auto seg = segment_path(dir.path(), 1);
  const std::size_t size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size + 4096);
  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value()) << w.error().message;
  ASSERT_TRUE(w->recovery().torn_tail.has_value());
  EXPECT_EQ(w->recovery().torn_tail->offset, size);
  EXPECT_EQ(w->recovery().torn_tail->bytes_cut, 4096u);
  EXPECT_EQ(w->recovery().last_seq, kLast);
}

TEST(Recovery, BadSegmentMagicIsCorrupt) {
  TempDir dir;
  write_base(dir.path());
  flip_bit(segment_path(dir.path(), 1), 1);
  auto w = LogWriter::open(dir.path());
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ErrorCode::Corrupt);
  EXPECT_NE(w.error().message.find("magic"), std::string::npos) << w.error().message;
}

TEST(Recovery, SegmentRenamedAwayFromItsFirstSeqIsCorrupt) {
  TempDir dir;
  write_base(dir.path());
  std::filesystem::rename(segment_path(dir.path(), 1), segment_path(dir.path(), 2));
  auto w = LogWriter::open(dir.path());
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ErrorCode::Corrupt);
}

TEST(Recovery, UnknownFilesInTheDirectoryAreIgnored) {
  TempDir dir;
  write_base(dir.path());
  write_file(dir / "README", std::vector<std::byte>(3, std::byte{'x'}));
  write_file(dir / "123.log", std::vector<std::byte>(3, std::byte{'x'}));
  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_EQ(w->recovery().last_seq, kLast);
}

}  // namespace
}  // namespace cx::journal
