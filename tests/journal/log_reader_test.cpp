#include "journal/log_reader.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "journal_fixture.hpp"

namespace cx::journal {
namespace {

using test::expect_records;
using test::flip_bit;
using test::offset_of;
using test::read_all;
using test::segment_path;
using test::TempDir;
using test::write_log;

const WriterOptions kSmallSegments{.segment_bytes = 1024};

TEST(LogReader, ReadsFromAGivenSeqAcrossSegments) {
  TempDir dir;
  write_log(dir.path(), 1, 300, 10, kSmallSegments);
  for (SeqNo from : {SeqNo{1}, SeqNo{2}, SeqNo{37}, SeqNo{150}, SeqNo{299}, SeqNo{300}}) {
    auto records = read_all(dir.path(), from);
    ASSERT_TRUE(records.has_value()) << records.error().message;
    expect_records(*records, from, 300);
  }
}

TEST(LogReader, FromZeroReadsEverything) {
  TempDir dir;
  write_log(dir.path(), 5, 40, 10, kSmallSegments);
  auto records = read_all(dir.path(), 0);
  ASSERT_TRUE(records.has_value());
  expect_records(*records, 5, 40);
}

TEST(LogReader, FromPastTheEndReadsNothing) {
  TempDir dir;
  write_log(dir.path(), 1, 40, 10);
  auto records = read_all(dir.path(), 41);
  ASSERT_TRUE(records.has_value());
  EXPECT_TRUE(records->empty());
}

TEST(LogReader, FromBeforeRemovedSegmentsFails) {
  TempDir dir;
  {
    auto w = LogWriter::open(dir.path(), kSmallSegments);
    ASSERT_TRUE(w.has_value());
    test::append_range(*w, 1, 300, 10);
    ASSERT_TRUE(w->remove_segments_before(200).has_value());
  }
  auto records = read_all(dir.path(), 10);
  ASSERT_FALSE(records.has_value());
  EXPECT_EQ(records.error().code, ErrorCode::InvalidArgument);
  records = read_all(dir.path(), 200);
  ASSERT_TRUE(records.has_value()) << records.error().message;
  expect_records(*records, 200, 300);
}

TEST(LogReader, EmptyDirectoryReadsNothing) {
  TempDir dir;
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value());
  EXPECT_TRUE(records->empty());
}

TEST(LogReader, MissingDirectoryIsAnIoError) {
  TempDir dir;
  auto records = read_all(dir / "nope");
  ASSERT_FALSE(records.has_value());
  EXPECT_EQ(records.error().code, ErrorCode::IoError);
}

TEST(LogReader, StopsAtATornTailWithoutChangingTheFile) {
  TempDir dir;
  write_log(dir.path(), 1, 20, 5);
  const auto seg = segment_path(dir.path(), 1);
  const auto cut = offset_of(1, 20) + 5;
  std::filesystem::resize_file(seg, cut);
  auto records = read_all(dir.path());
  ASSERT_TRUE(records.has_value()) << records.error().message;
  expect_records(*records, 1, 19);
  EXPECT_EQ(std::filesystem::file_size(seg), cut);
}

TEST(LogReader, CorruptionInTheMiddleIsAnError) {
  TempDir dir;
  write_log(dir.path(), 1, 20, 5);
  flip_bit(segment_path(dir.path(), 1), offset_of(1, 3) + 17);
  auto records = read_all(dir.path());
  ASSERT_FALSE(records.has_value());
  EXPECT_EQ(records.error().code, ErrorCode::Corrupt);
  // Starting after the damage does not help: the reader still walks the segment from its start.
  records = read_all(dir.path(), 10);
  ASSERT_FALSE(records.has_value());
  EXPECT_EQ(records.error().code, ErrorCode::Corrupt);
}

TEST(LogReader, IteratesWithNext) {
  TempDir dir;
  write_log(dir.path(), 1, 3, 3);
  auto reader = LogReader::open(dir.path(), 2);
  ASSERT_TRUE(reader.has_value());
  Record rec;
  auto next = [&] { return reader->next(rec).value_or(false); };
  ASSERT_TRUE(next());
  EXPECT_EQ(rec.seq, 2u);
  EXPECT_EQ(std::vector<std::byte>(rec.payload.begin(), rec.payload.end()), test::payload_for(2));
  ASSERT_TRUE(next());
  EXPECT_EQ(rec.seq, 3u);
  EXPECT_FALSE(next());
  EXPECT_FALSE(next());
}

}  // namespace
}  // namespace cx::journal
