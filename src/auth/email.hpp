#pragma once
/// Email addresses as login names.

#include <optional>
#include <string>
#include <string_view>

namespace cx::auth {

/// The canonical form of an address typed by a user, or nullopt if it does not look like one.
/// Trims ASCII whitespace at both ends and lowercases ASCII letters (the whole address: local
/// parts are treated as case-insensitive, as every large provider does). Accepted shape:
///  - at most 254 characters, printable ASCII only (no spaces, control characters or bytes
///    above 0x7E; internationalised addresses are not supported, punycode domains are);
///  - exactly one '@';
///  - a local part of 1 to 64 characters from a-z 0-9 and !#$%&'*+/=?^_`{|}~.- with no
///    leading, trailing or doubled '.' (no quoted local parts);
///  - a domain of at least two dot-separated labels, each 1 to 63 of [a-z0-9-] not starting
///    or ending with '-', the last one (the TLD) not all digits.
/// Threading: any thread.
[[nodiscard]] std::optional<std::string> normalize_email(std::string_view input);

}  // namespace cx::auth
