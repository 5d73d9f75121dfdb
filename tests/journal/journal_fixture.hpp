#pragma once
// Helpers for the journal tests: a temporary directory, deterministic payloads, and file surgery.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "journal/format.hpp"
#include "journal/log_reader.hpp"
#include "journal/log_writer.hpp"
#include "journal/segment.hpp"

namespace cx::journal::test {

/// A fresh directory under /tmp (mkdtemp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/cx_journal_test.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// The payload the tests write for `seq`: 10..59 bytes, contents derived from seq.
inline std::vector<std::byte> payload_for(SeqNo seq) {
  std::vector<std::byte> out(10 + seq * 7 % 50);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::byte>((seq * 131 + i * 17) & 0xFFu);
  }
  return out;
}

inline std::size_t record_size(SeqNo seq) {
  return format::kRecordHeaderSize + payload_for(seq).size();
}

/// Appends seqs [first, last] with payload_for, committing every `per_commit` records.
inline void append_range(LogWriter& w, SeqNo first, SeqNo last, std::size_t per_commit) {
  std::size_t in_batch = 0;
  for (SeqNo s = first; s <= last; ++s) {
    ASSERT_TRUE(w.append(s, payload_for(s)).has_value()) << "seq " << s;
    if (++in_batch == per_commit) {
      ASSERT_TRUE(w.commit().has_value());
      in_batch = 0;
    }
  }
  ASSERT_TRUE(w.commit().has_value());
}

/// Opens a writer on `dir`, appends [first, last], commits every `per_commit`, closes it.
inline void write_log(const std::filesystem::path& dir, SeqNo first, SeqNo last,
                      std::size_t per_commit, WriterOptions options = {}) {
  auto w = LogWriter::open(dir, options);
  ASSERT_TRUE(w.has_value()) << w.error().message;
  append_range(*w, first, last, per_commit);
}

struct ReadRecord {
  SeqNo seq;
  std::vector<std::byte> payload;
};

/// Every record with seq >= from, or the error.
inline Result<std::vector<ReadRecord>> read_all(const std::filesystem::path& dir, SeqNo from = 0) {
  std::vector<ReadRecord> out;
  auto n = for_each(dir, from, [&](SeqNo seq, std::span<const std::byte> payload) {
    out.push_back(ReadRecord{seq, {payload.begin(), payload.end()}});
  });
  if (!n) return std::unexpected(n.error());
  return out;
}

/// Checks that `records` are exactly seqs [first, last] with payload_for contents.
inline void expect_records(const std::vector<ReadRecord>& records, SeqNo first, SeqNo last) {
  ASSERT_EQ(records.size(), last + 1 - first);
  for (std::size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(records[i].seq, first + i);
    ASSERT_EQ(records[i].payload, payload_for(first + i)) << "seq " << first + i;
  }
}

inline std::filesystem::path segment_path(const std::filesystem::path& dir, SeqNo first_seq) {
  return dir / segment_file_name(first_seq);
}

inline std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  for (std::size_t i = 0; i < chars.size(); ++i) out[i] = static_cast<std::byte>(chars[i]);
  return out;
}

inline void write_file(const std::filesystem::path& path, const std::vector<std::byte>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline void flip_bit(const std::filesystem::path& path, std::size_t offset, unsigned bit = 0) {
  auto bytes = read_file(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] ^= static_cast<std::byte>(1u << bit);
  write_file(path, bytes);
}

/// Offset in a single-segment log (first seq `first`) at which record `seq` starts.
inline std::size_t offset_of(SeqNo first, SeqNo seq) {
  std::size_t offset = format::kSegmentHeaderSize;
  for (SeqNo s = first; s < seq; ++s) offset += record_size(s);
  return offset;
}

}  // namespace cx::journal::test
