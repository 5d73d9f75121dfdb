#pragma once
/// Reading prices out of JSON documents (HTTP answers, JSON-lines files). Uses Boost.JSON's
/// headers only: the library's one compiled copy (<boost/json/src.hpp>) is in cx_api's
/// json_codec.cpp, so a binary or test that links cx_oracle links cx_api too.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "oracle/quote.hpp"

namespace cx::oracle {

/// A price given as a JSON number or as a decimal string.
[[nodiscard]] Result<std::int64_t> price_of(const boost::json::value& v);

/// The value at a dotted path: "data.price", "bitcoin.usd", "data.0.price" (a number segment
/// indexes an array). nullptr when a step is missing.
const boost::json::value* at_path(const boost::json::value& root, std::string_view path);

/// The price at `path` in a JSON document (the generic JSON source).
[[nodiscard]] Result<std::int64_t> parse_path_price(std::string_view body, std::string_view path);

/// A CoinMarketCap `/v1/cryptocurrency/quotes/latest` answer: for each symbol asked,
/// `data.<SYMBOL>.quote.<convert>.price` (an array under the symbol, as v2 gives, uses its first
/// element), stamped with `quote.<convert>.last_updated` (ISO 8601, UTC) when present, else
/// with `now`, and never later than `now`. A non-zero `status.error_code` fails with
/// `status.error_message`; a symbol missing from the answer is skipped.
[[nodiscard]] Result<std::vector<Quote>> parse_cmc_quotes(std::string_view body,
                                                          const std::vector<std::string>& symbols,
                                                          std::string_view convert, Timestamp now);

/// "2024-05-01T12:34:56.789Z" -> ms since the epoch; nullopt when it is not that shape.
std::optional<Timestamp> parse_iso8601_ms(std::string_view s);

}  // namespace cx::oracle
