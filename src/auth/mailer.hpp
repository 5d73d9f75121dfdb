#pragma once
/// Sending mail (login codes): an interface, a real SMTP client on libcurl, and an outbox that
/// writes .eml files (development, tests, or a server without an SMTP relay).
///
/// The mailers read the wall clock for the Date header and the outbox file names: the one place
/// in this module that does.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cx::auth {

/// Something that delivers a plain-text message to one recipient.
/// Threading: implementations say; both below allow concurrent send() from any thread.
class Mailer {
 public:
  virtual ~Mailer();
  /// Delivers `body` (UTF-8 text; line ends are normalised to CRLF) to the address `to` with
  /// `subject` (UTF-8; RFC 2047-encoded if not ASCII). InvalidArgument for CR/LF in `to` or
  /// `subject` or a `to` that is not an address.
  [[nodiscard]] virtual Result<void> send(std::string_view to, std::string_view subject,
                                          std::string_view body) = 0;
};

struct SmtpOptions {
  std::string host;          ///< relay host name or address
  std::uint16_t port = 587;  ///< 587 submission (STARTTLS), 465 implicit TLS, 25 relay
  enum class Tls {
    None,      ///< plain smtp:// (only for a relay on localhost or a test sink)
    StartTls,  ///< smtp:// upgraded with STARTTLS, which is required (CURLUSESSL_ALL)
    Implicit,  ///< smtps://
  } tls = Tls::StartTls;
  std::string user, password;       ///< SMTP AUTH credentials; no AUTH if `user` is empty
  std::string from;                 ///< "addr" or "Name <addr>": the From header and MAIL FROM
  std::int64_t timeout_ms = 10000;  ///< whole transfer, connection included
};

/// SMTP submission with libcurl: one connection per message (curl easy handle per send), with
/// server certificates verified when TLS is used.
/// Threading: send() may be called from any thread concurrently.
class SmtpMailer final : public Mailer {
 public:
  /// Throws std::invalid_argument if `options.from` is not a mailbox or `host` is empty.
  explicit SmtpMailer(SmtpOptions options);
  /// Unavailable, with curl's message, when the server cannot be reached or refuses the
  /// message; InvalidArgument as Mailer::send.
  [[nodiscard]] Result<void> send(std::string_view to, std::string_view subject,
                                  std::string_view body) override;

 private:
  SmtpOptions opt_;
  std::string from_address_;
  std::string url_;
};

/// Writes each message, as it would be sent, to `<dir>/<ms>-<n>-<to>.eml`: ms the wall-clock
/// time, n a counter of this object, `to` the recipient with every character outside
/// [A-Za-z0-9._@-] replaced by '_' (at most 64). Files appear whole (written to a temporary
/// name, then renamed). The directory is created when needed.
/// Threading: send() may be called from any thread concurrently.
class OutboxMailer final : public Mailer {
 public:
  explicit OutboxMailer(std::filesystem::path dir,
                        std::string from = "cxmpute <noreply@localhost>");
  /// IoError if the directory or the file cannot be written; InvalidArgument as Mailer::send.
  [[nodiscard]] Result<void> send(std::string_view to, std::string_view subject,
                                  std::string_view body) override;

  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  std::filesystem::path dir_;
  std::string from_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace cx::auth
