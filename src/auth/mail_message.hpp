#pragma once
/// Building an Internet message (RFC 5322) for the mailers. Internal to the auth module; public
/// so that it can be tested on its own.
///
/// Threading: any thread (pure functions).

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace cx::auth::mail {

/// True if `s` contains CR or LF (header injection).
[[nodiscard]] bool has_line_break(std::string_view s) noexcept;

/// The bare address of a mailbox written "addr" or "Display Name <addr>"; nullopt if it has no
/// '@', contains CR/LF or angle brackets in the wrong places.
[[nodiscard]] std::optional<std::string> address_of(std::string_view mailbox);

/// `ms` as an RFC 5322 date in UTC: "Thu, 01 Jan 1970 00:00:00 +0000".
[[nodiscard]] std::string rfc5322_date(Timestamp ms);

/// A header value that is plain ASCII as is, else as RFC 2047 encoded words (UTF-8, base64),
/// folded so that no encoded word exceeds 75 characters.
[[nodiscard]] std::string encode_header_text(std::string_view text);

/// The whole message, CRLF line ends throughout: Date, From, To, Subject, Message-ID,
/// MIME-Version, Content-Type (text/plain; charset=utf-8), Content-Transfer-Encoding (8bit), a
/// blank line and `body` (bare LF and CR turned into CRLF). InvalidArgument if `from`, `to` or
/// `subject` contains CR or LF, or `from`/`to` is not a mailbox (address_of).
[[nodiscard]] Result<std::string> render(std::string_view from, std::string_view to,
                                         std::string_view subject, std::string_view body,
                                         Timestamp date_ms, std::string_view message_id);

/// A fresh Message-ID, "<random@domain of from>".
[[nodiscard]] std::string make_message_id(std::string_view from_address);

}  // namespace cx::auth::mail
