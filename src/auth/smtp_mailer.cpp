// SMTP delivery with libcurl.

#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "auth/mail_message.hpp"
#include "auth/mailer.hpp"

namespace cx::auth {

namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("curl_global_init failed");
  });
}

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// The message being uploaded, handed to curl piece by piece.
struct Upload {
  const std::string* data;
  std::size_t pos = 0;
};

std::size_t read_chunk(char* buf, std::size_t size, std::size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t room = size * nitems;
  const std::size_t n = std::min(room, up->data->size() - up->pos);
  std::memcpy(buf, up->data->data() + up->pos, n);
  up->pos += n;
  return n;
}

struct EasyDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

}  // namespace

SmtpMailer::SmtpMailer(SmtpOptions options) : opt_(std::move(options)) {
  if (opt_.host.empty()) throw std::invalid_argument("SmtpMailer: host is required");
  auto addr = mail::address_of(opt_.from);
  if (!addr) throw std::invalid_argument("SmtpMailer: 'from' is not a mailbox: " + opt_.from);
  from_address_ = std::move(*addr);
  const bool v6 = opt_.host.find(':') != std::string::npos;
  url_ = std::string(opt_.tls == SmtpOptions::Tls::Implicit ? "smtps://" : "smtp://") +
         (v6 ? "[" + opt_.host + "]" : opt_.host) + ":" + std::to_string(opt_.port);
  init_curl_once();
}

Result<void> SmtpMailer::send(std::string_view to, std::string_view subject,
                              std::string_view body) {
  const auto rcpt = mail::address_of(to);
  if (!rcpt || mail::has_line_break(to))
    return fail(ErrorCode::InvalidArgument, "bad recipient address");
  auto msg =
      mail::render(opt_.from, to, subject, body, wall_ms(), mail::make_message_id(from_address_));
  if (!msg) return std::unexpected(std::move(msg.error()));

  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return fail(ErrorCode::Internal, "curl_easy_init failed");
  const std::string mail_from = "<" + from_address_ + ">";
  std::unique_ptr<curl_slist, ListDeleter> rcpts(
      curl_slist_append(nullptr, ("<" + *rcpt + ">").c_str()));
  if (!rcpts) return fail(ErrorCode::Internal, "curl_slist_append failed");
  Upload up{&*msg};
  char errbuf[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  CURLcode rc = CURLE_OK;
  const auto set = [&](CURLoption o, auto v) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(c, o, v);
  };
  set(CURLOPT_ERRORBUFFER, errbuf);
  set(CURLOPT_URL, url_.c_str());
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(opt_.timeout_ms));
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt_.timeout_ms));
  if (opt_.tls == SmtpOptions::Tls::StartTls)
    set(CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!opt_.user.empty()) {
    set(CURLOPT_USERNAME, opt_.user.c_str());
    set(CURLOPT_PASSWORD, opt_.password.c_str());
  }
  set(CURLOPT_MAIL_FROM, mail_from.c_str());
  set(CURLOPT_MAIL_RCPT, rcpts.get());
  set(CURLOPT_READFUNCTION, &read_chunk);
  set(CURLOPT_READDATA, &up);
  set(CURLOPT_UPLOAD, 1L);
  if (rc != CURLE_OK)
    return fail(ErrorCode::Internal, std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
  rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    return fail(ErrorCode::Unavailable,
                std::string("smtp: ") + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  return {};
}

}  // namespace cx::auth
