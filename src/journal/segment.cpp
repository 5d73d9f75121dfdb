#include "journal/segment.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "journal/file_io.hpp"

namespace cx::journal {
namespace {

constexpr std::size_t kDigits = 20;  // enough for any uint64
constexpr std::string_view kSuffix = ".log";

}  // namespace

std::string segment_file_name(SeqNo first_seq) {
  std::string name(kDigits, '0');
  std::array<char, kDigits> digits{};
  const auto res = std::to_chars(digits.data(), digits.data() + digits.size(), first_seq);
  const auto len = static_cast<std::size_t>(res.ptr - digits.data());
  std::copy_n(digits.data(), len, name.data() + (kDigits - len));
  name += kSuffix;
  return name;
}

std::optional<SeqNo> parse_segment_file_name(std::string_view name) noexcept {
  if (name.size() != kDigits + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  const std::string_view digits = name.substr(0, kDigits);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  SeqNo seq = 0;
  const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (res.ec != std::errc{} || res.ptr != digits.data() + digits.size()) return std::nullopt;
  return seq;
}

Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir) {
  std::vector<SegmentFile> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (auto seq = parse_segment_file_name(it->path().filename().native())) {
      out.push_back(SegmentFile{*seq, it->path()});
    }
  }
  if (ec) return std::unexpected(io_error("cannot list", dir, ec.value()));
  std::sort(out.begin(), out.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_seq < b.first_seq; });
  return out;
}

std::array<std::byte, format::kSegmentHeaderSize> encode_segment_header(SeqNo first_seq) noexcept {
  std::array<std::byte, format::kSegmentHeaderSize> h{};
  std::copy(format::kMagic.begin(), format::kMagic.end(), h.begin());
  format::put_u32(h.data() + 4, format::kFormatVersion);
  format::put_u64(h.data() + 8, first_seq);
  return h;
}

}  // namespace cx::journal
