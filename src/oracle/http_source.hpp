#pragma once
/// HTTP price sources over libcurl (a blocking GET with connect and total timeouts, run on the
/// oracle's thread):
/// - Cmc: a CoinMarketCap-style `GET <url>/v1/cryptocurrency/quotes/latest?symbol=BTC,ETH`
///   with the API key in `X-CMC_PRO_API_KEY`; parse_cmc_quotes reads the answer.
/// - Json: `GET <url>` of any JSON document; the price of one underlying is at a dotted path
///   (`data.price`, `bitcoin.usd`), stamped with the time of the answer.

#include <chrono>
#include <string>
#include <vector>

#include "oracle/source.hpp"

namespace cx::oracle {

struct HttpSourceOptions {
  enum class Kind : std::uint8_t { Cmc, Json } kind = Kind::Json;
  std::string name;                         ///< for logs; defaults to "cmc" / "json:<underlying>"
  std::string url;                          ///< Cmc: the base URL; Json: the whole URL
  std::string api_key;                      ///< Cmc: sent as X-CMC_PRO_API_KEY (never logged)
  std::vector<std::string> symbols;         ///< Cmc: the underlyings asked for
  std::string convert = "USD";              ///< Cmc: the quote currency in the answer
  std::string path;                         ///< Json: where the price is
  std::string underlying;                   ///< Json: whose price it is
  std::chrono::milliseconds timeout{5000};  ///< whole request; connecting gets at most this
};

/// The body of a 2xx answer to GET `url` with the given extra headers ("Name: value"); fails
/// with Unavailable on a transport error or timeout, and on any other status (with the status).
[[nodiscard]] Result<std::string> http_get(const std::string& url,
                                           const std::vector<std::string>& headers,
                                           std::chrono::milliseconds timeout);

class HttpSource final : public Source {
 public:
  explicit HttpSource(HttpSourceOptions options);
  const std::string& name() const noexcept override { return options_.name; }
  Result<std::vector<Quote>> poll(Timestamp now) override;
  /// The URL polled (with the query for Cmc).
  const std::string& request_url() const noexcept { return url_; }

 private:
  HttpSourceOptions options_;
  std::string url_;
  std::vector<std::string> headers_;
};

}  // namespace cx::oracle
