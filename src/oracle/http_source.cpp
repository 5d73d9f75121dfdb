// HTTP sources on libcurl; one easy handle per request (polls are seconds apart).
#include "oracle/http_source.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <stdexcept>

#include "oracle/json_price.hpp"

namespace cx::oracle {

namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

struct EasyDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

constexpr std::size_t kMaxBody = 4u << 20;  ///< an answer larger than this is refused

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxBody) return 0;  // aborts the transfer
  body->append(data, size * n);
  return size * n;
}

}  // namespace

Result<std::string> http_get(const std::string& url, const std::vector<std::string>& headers,
                             std::chrono::milliseconds timeout) {
  init_curl_once();
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return fail(ErrorCode::Internal, "curl_easy_init failed");
  std::unique_ptr<curl_slist, ListDeleter> list;
  for (const auto& h : headers) {
    curl_slist* next = curl_slist_append(list.get(), h.c_str());
    if (next == nullptr) return fail(ErrorCode::Internal, "curl_slist_append failed");
    (void)list.release();
    list.reset(next);
  }
  std::string body;
  char errbuf[CURL_ERROR_SIZE] = {};
  CURL* c = easy.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    std::string msg = "GET failed: ";
    msg.append(errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
    return fail(ErrorCode::Unavailable, std::move(msg));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    std::string msg = "HTTP status ";
    msg.append(std::to_string(status));
    return fail(ErrorCode::Unavailable, std::move(msg));
  }
  return body;
}

HttpSource::HttpSource(HttpSourceOptions options) : options_(std::move(options)) {
  if (options_.kind == HttpSourceOptions::Kind::Cmc) {
    if (options_.name.empty()) options_.name = "cmc";
    for (auto& s : options_.symbols) s = upper(s);
    url_ = options_.url;
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    url_.append("/v1/cryptocurrency/quotes/latest?symbol=");
    for (std::size_t i = 0; i < options_.symbols.size(); ++i) {
      if (i > 0) url_.push_back(',');
      url_.append(options_.symbols[i]);
    }
    if (options_.convert != "USD") url_.append("&convert=").append(options_.convert);
    headers_.push_back("Accept: application/json");
    if (!options_.api_key.empty()) {
      std::string h = "X-CMC_PRO_API_KEY: ";
      h.append(options_.api_key);
      headers_.push_back(std::move(h));
    }
  } else {
    options_.underlying = upper(options_.underlying);
    if (options_.name.empty()) {
      options_.name = "json:";
      options_.name.append(options_.underlying);
    }
    url_ = options_.url;
    headers_.push_back("Accept: application/json");
  }
}

Result<std::vector<Quote>> HttpSource::poll(Timestamp now) {
  auto body = http_get(url_, headers_, options_.timeout);
  if (!body) return std::unexpected(body.error());
  if (options_.kind == HttpSourceOptions::Kind::Cmc) {
    return parse_cmc_quotes(*body, options_.symbols, options_.convert, now);
  }
  auto price = parse_path_price(*body, options_.path);
  if (!price) return std::unexpected(price.error());
  return std::vector<Quote>{Quote{options_.underlying, *price, now}};
}

}  // namespace cx::oracle
