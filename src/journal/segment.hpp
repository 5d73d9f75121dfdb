#pragma once
/// Segment files: a journal directory holds files "<first seq, 20 digits>.log", each starting with
/// a 16-byte segment header. Names sort in log order.

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "journal/format.hpp"

namespace cx::journal {

/// One segment file of a journal directory.
struct SegmentFile {
  SeqNo first_seq = 0;  ///< from the file name: the seq of its first record
  std::filesystem::path path;
};

/// "00000000000000000042.log" for first_seq 42.
std::string segment_file_name(SeqNo first_seq);

/// The first seq a segment file name stands for; nullopt for any other file name.
std::optional<SeqNo> parse_segment_file_name(std::string_view name) noexcept;

/// The segment files of `dir` in log order; other files are ignored.
Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir);

/// The header that starts a segment whose first record is `first_seq`.
std::array<std::byte, format::kSegmentHeaderSize> encode_segment_header(SeqNo first_seq) noexcept;

}  // namespace cx::journal
