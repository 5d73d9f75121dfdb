#include "journal/log_writer.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

#include "journal/segment.hpp"
#include "journal_fixture.hpp"

namespace cx::journal {
namespace {

using test::append_range;
using test::expect_records;
using test::payload_for;
using test::read_all;
using test::TempDir;
using test::write_log;

std::vector<SegmentFile> segments_of(const std::filesystem::path& dir) {
  auto s = list_segments(dir);
  EXPECT_TRUE(s.has_value());
  return s.value_or(std::vector<SegmentFile>{});
}

TEST(LogWriter, AppendedRecordsReadBackInOrder) {
  TempDir dir;
  write_log(dir.path(), 1, 100, 10);
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value()) << records.error().message;
  expect_records(*records, 1, 100);
}

TEST(LogWriter, CommitMakesAppendedRecordsDurable) {
  TempDir dir;
  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value()) << w.error().message;
  ASSERT_TRUE(w->append(1, payload_for(1)).has_value());
  ASSERT_TRUE(w->append(2, payload_for(2)).has_value());
  EXPECT_EQ(w->pending_records(), 2u);
  EXPECT_EQ(w->last_seq(), 2u);
  EXPECT_EQ(w->durable_seq(), 0u);
  ASSERT_TRUE(w->commit().has_value());
  EXPECT_EQ(w->pending_records(), 0u);
  EXPECT_EQ(w->durable_seq(), 2u);
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  expect_records(*records, 1, 2);
}

TEST(LogWriter, RecordsNotCommittedAreNotWritten) {
  TempDir dir;
  {
    auto w = LogWriter::open(dir.path());
    ASSERT_TRUE(w.has_value());
    append_range(*w, 1, 5, 5);
    ASSERT_TRUE(w->append(6, payload_for(6)).has_value());
  }
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  expect_records(*records, 1, 5);
}

TEST(LogWriter, EmptyDirectoryOpensAsAnEmptyLog) {
  TempDir dir;
  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_EQ(w->last_seq(), 0u);
  EXPECT_EQ(w->recovery().records, 0u);
  EXPECT_EQ(w->recovery().segments, 0u);
  EXPECT_FALSE(w->recovery().torn_tail.has_value());
  EXPECT_TRUE(segments_of(dir.path()).empty());
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  EXPECT_TRUE(records->empty());
}

TEST(LogWriter, MissingDirectoryIsCreated) {
  TempDir dir;
  const auto nested = dir / "a/b/journal";
  write_log(nested, 1, 3, 3);
  auto records = read_all(nested);
  ASSERT_TRUE(records.has_value());
  expect_records(*records, 1, 3);
}

TEST(LogWriter, EmptyLogAcceptsAnyFirstSeqThenOnlyTheNext) {
  TempDir dir;
  write_log(dir.path(), 1000, 1009, 5);
  EXPECT_EQ(segments_of(dir.path()).front().first_seq, 1000u);
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  expect_records(*records, 1000, 1009);
}

TEST(LogWriter, SequenceGapIsRejectedAndAddsNothing) {
  TempDir dir;
  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE(w->append(1, payload_for(1)).has_value());
  auto gap = w->append(3, payload_for(3));
  ASSERT_FALSE(gap.has_value());
  EXPECT_EQ(gap.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(gap.error().message.find("expected 2"), std::string::npos) << gap.error().message;
  EXPECT_EQ(w->pending_records(), 1u);
  ASSERT_TRUE(w->append(2, payload_for(2)).has_value());
  ASSERT_TRUE(w->commit().has_value());
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  expect_records(*records, 1, 2);
}

TEST(LogWriter, RepeatedOrBackwardSeqIsRejected) {
  TempDir dir;
  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value());
  append_range(*w, 1, 5, 5);
  EXPECT_EQ(w->append(5, payload_for(5)).error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(w->append(2, payload_for(2)).error().code, ErrorCode::InvalidArgument);
  EXPECT_TRUE(w->append(6, payload_for(6)).has_value());
}

TEST(LogWriter, SeqZeroIsRejected) {
  TempDir dir;
  auto w = LogWriter::open(dir.path());
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->append(0, payload_for(0)).error().code, ErrorCode::InvalidArgument);
}

TEST(LogWriter, RecordLargerThanTheLimitIsRejected) {
  TempDir dir;
  auto w = LogWriter::open(dir.path(), WriterOptions{.max_record_bytes = 100});
  ASSERT_TRUE(w.has_value());
  std::vector<std::byte> big(101);
  EXPECT_EQ(w->append(1, big).error().code, ErrorCode::InvalidArgument);
  big.resize(100);
  EXPECT_TRUE(w->append(1, big).has_value());
}

TEST(LogWriter, EmptyPayloadsRoundTrip) {
  TempDir dir;
  {
    auto w = LogWriter::open(dir.path());
    ASSERT_TRUE(w.has_value());
    for (SeqNo s = 1; s <= 3; ++s) ASSERT_TRUE(w->append(s, {}).has_value());
    ASSERT_TRUE(w->commit().has_value());
  }
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 3u);
  for (const auto& r : *records) EXPECT_TRUE(r.payload.empty());
}

TEST(LogWriter, ReopenContinuesAfterTheLastSeq) {
  TempDir dir;
  write_log(dir.path(), 1, 50, 7);
  {
    auto w = LogWriter::open(dir.path());
    ASSERT_TRUE(w.has_value()) << w.error().message;
    EXPECT_EQ(w->recovery().first_seq, 1u);
    EXPECT_EQ(w->recovery().last_seq, 50u);
    EXPECT_EQ(w->recovery().records, 50u);
    EXPECT_FALSE(w->recovery().torn_tail.has_value());
    EXPECT_EQ(w->last_seq(), 50u);
    EXPECT_EQ(w->durable_seq(), 50u);
    EXPECT_EQ(w->append(1, payload_for(1)).error().code, ErrorCode::InvalidArgument);
    append_range(*w, 51, 80, 9);
  }
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value()) << records.error().message;
  expect_records(*records, 1, 80);
}

TEST(LogWriter, RotatesIntoSegmentsNamedByTheirFirstSeq) {
  TempDir dir;
  constexpr std::uint64_t kLimit = 1024;
  write_log(dir.path(), 1, 300, 1, WriterOptions{.segment_bytes = kLimit});

  // Where the segments should start, and how big they should be.
  std::vector<std::pair<SeqNo, std::uint64_t>> expected;
  for (SeqNo s = 1; s <= 300; ++s) {
    if (expected.empty() || expected.back().second + test::record_size(s) > kLimit) {
      expected.emplace_back(s, format::kSegmentHeaderSize);
    }
    expected.back().second += test::record_size(s);
  }
  const auto segments = segments_of(dir.path());
  ASSERT_EQ(segments.size(), expected.size());
  for (std::size_t i = 0; i < segments.size(); ++i) {
    EXPECT_EQ(segments[i].first_seq, expected[i].first);
    EXPECT_EQ(std::filesystem::file_size(segments[i].path), expected[i].second);
  }
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  expect_records(*records, 1, 300);
}

TEST(LogWriter, OneBatchCanSpanSeveralSegments) {
  TempDir dir;
  write_log(dir.path(), 1, 500, 500, WriterOptions{.segment_bytes = 2048});
  EXPECT_GT(segments_of(dir.path()).size(), 10u);
  auto w = LogWriter::open(dir.path(), WriterOptions{.segment_bytes = 2048});
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_EQ(w->recovery().last_seq, 500u);
  append_range(*w, 501, 600, 100);
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  expect_records(*records, 1, 600);
}

TEST(LogWriter, RecordBiggerThanASegmentGetsASegmentOfItsOwn) {
  TempDir dir;
  const WriterOptions options{.segment_bytes = 64, .max_record_bytes = 1000};
  {
    auto w = LogWriter::open(dir.path(), options);
    ASSERT_TRUE(w.has_value());
    const std::vector<std::byte> big(500, std::byte{7});
    for (SeqNo s = 1; s <= 3; ++s) ASSERT_TRUE(w->append(s, big).has_value());
    ASSERT_TRUE(w->commit().has_value());
  }
  const auto segments = segments_of(dir.path());
  ASSERT_EQ(segments.size(), 3u);
  for (SeqNo s = 1; s <= 3; ++s) EXPECT_EQ(segments[s - 1].first_seq, s);
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(records->size(), 3u);
}

TEST(LogWriter, SecondWriterOnTheSameDirectoryIsRefused) {
  TempDir dir;
  auto first = LogWriter::open(dir.path());
  ASSERT_TRUE(first.has_value());
  auto second = LogWriter::open(dir.path());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::IoError);
  EXPECT_NE(second.error().message.find("locked"), std::string::npos);
}

TEST(LogWriter, InvalidOptionsAreRejected) {
  TempDir dir;
  EXPECT_EQ(LogWriter::open(dir.path(), WriterOptions{.segment_bytes = 8}).error().code,
            ErrorCode::InvalidArgument);
  EXPECT_EQ(LogWriter::open(dir.path(), WriterOptions{.max_record_bytes = 1u << 24}).error().code,
            ErrorCode::InvalidArgument);
}

TEST(LogWriter, RemoveSegmentsBeforeDeletesOnlyWholeSegmentsBelowTheSeq) {
  TempDir dir;
  auto w = LogWriter::open(dir.path(), WriterOptions{.segment_bytes = 1024});
  ASSERT_TRUE(w.has_value());
  append_range(*w, 1, 300, 10);
  const auto before = segments_of(dir.path());
  ASSERT_GT(before.size(), 4u);

  // A seq inside segment 2 keeps segment 2 (it still holds records >= seq).
  const SeqNo inside_third = before[2].first_seq + 1;
  auto removed = w->remove_segments_before(inside_third);
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_EQ(*removed, 2u);
  auto after = segments_of(dir.path());
  EXPECT_EQ(after.front().first_seq, before[2].first_seq);
  auto records = read_all(dir.path(), inside_third);
  ASSERT_TRUE(records.has_value());
  expect_records(*records, inside_third, 300);

  // Everything below a seq past the end: all but the segment being appended to.
  removed = w->remove_segments_before(1'000'000);
  ASSERT_TRUE(removed.has_value());
  after = segments_of(dir.path());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after.front().first_seq, before.back().first_seq);

  // The writer carries on, and a reopen sees a log starting at the kept segment.
  append_range(*w, 301, 310, 10);
  w = std::unexpected(Error{ErrorCode::IoError, "closed"});  // releases the lock
  auto reopened = LogWriter::open(dir.path());
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  EXPECT_EQ(reopened->recovery().first_seq, before.back().first_seq);
  EXPECT_EQ(reopened->recovery().last_seq, 310u);
}

TEST(LogWriter, ManyRecordsRoundTrip) {
  TempDir dir;
  constexpr SeqNo kCount = 200'000;
  write_log(dir.path(), 1, kCount, 1000, WriterOptions{.segment_bytes = 1 << 20});
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value()) << records.error().message;
  expect_records(*records, 1, kCount);
}

}  // namespace
}  // namespace cx::journal
