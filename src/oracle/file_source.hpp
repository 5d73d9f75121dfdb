#pragma once
/// File replay: recorded prices played back at their recorded pace. The file holds one record
/// per line, either CSV `ts,underlying,price` (an optional header line `ts,underlying,price`;
/// blank lines and lines starting with '#' are skipped) or JSON lines
/// `{"ts":1700000000000,"underlying":"BTC","price":"60000.5"}` (price as a string or a number).
/// Times are ms; records need not be sorted (they are, stably, by time).
///
/// Playback: the first record plays at the first poll, every later one `ts - first ts` after it;
/// a poll returns, per underlying, the latest record due by then, stamped with its playback
/// time. After the last record the prices age out and the index goes stale.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oracle/source.hpp"

namespace cx::oracle {

/// One line of a price file: a quote, nullopt for a line to skip (blank, comment, CSV header),
/// or an error naming what is wrong.
[[nodiscard]] Result<std::optional<Quote>> parse_price_line(std::string_view line);
/// Every record of a file's text, sorted by time; the error names the line.
[[nodiscard]] Result<std::vector<Quote>> parse_price_file(std::string_view text);

class FileSource final : public Source {
 public:
  /// Reads and parses the file; fails on an unreadable file, a bad line or no records.
  [[nodiscard]] static Result<std::unique_ptr<FileSource>> open(const std::filesystem::path& path);
  FileSource(std::string name, std::vector<Quote> records);

  const std::string& name() const noexcept override { return name_; }
  Result<std::vector<Quote>> poll(Timestamp now) override;

 private:
  std::string name_;
  std::vector<Quote> records_;
  std::size_t next_ = 0;
  std::optional<Timestamp> shift_;  ///< playback time - recorded time
};

}  // namespace cx::oracle
