// RFC 5322 messages: headers, dates, encoded subjects, header injection.

#include "auth/mail_message.hpp"

#include <gtest/gtest.h>

#include "auth_fixture.hpp"

namespace cx::auth {
namespace {

using test::code_of;
using test::ok;

TEST(MailMessage, DateIsRfc5322InUtc) {
  EXPECT_EQ(mail::rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(mail::rfc5322_date(1'700'000'000'999), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(mail::rfc5322_date(951'782'400'000), "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST(MailMessage, AddressOfAcceptsBareAndNamedMailboxes) {
  EXPECT_EQ(mail::address_of("noreply@cxmpute.cloud"), "noreply@cxmpute.cloud");
  EXPECT_EQ(mail::address_of("Cxmpute <noreply@cxmpute.cloud>"), "noreply@cxmpute.cloud");
  for (const char* bad : {"", "nobody", "@x.io", "a@", "A <a@x.io", "A <a@x.io> x", "a b@x.io",
                          "a@x.io\r\nBcc: v@x.io", "<a@x.io>,<b@x.io>"})
    EXPECT_FALSE(mail::address_of(bad)) << bad;
}

TEST(MailMessage, RenderWritesTheHeadersAndACrlfBody) {
  const std::string m =
      ok(mail::render("Cxmpute <noreply@cxmpute.cloud>", "ann@example.com", "Your login code",
                      "Code: 123456\nBye\r\n.\n", 0, "<id@cxmpute.cloud>"));
  EXPECT_EQ(m,
            "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"
            "From: Cxmpute <noreply@cxmpute.cloud>\r\n"
            "To: ann@example.com\r\n"
            "Subject: Your login code\r\n"
            "Message-ID: <id@cxmpute.cloud>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n"
            "Code: 123456\r\nBye\r\n.\r\n");
}

TEST(MailMessage, HeaderInjectionIsRefused) {
  EXPECT_EQ(code_of(mail::render("a@x.io", "b@x.io", "Hi\r\nBcc: victim@x.io", "", 0, "<i@x>")),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of(mail::render("a@x.io", "b@x.io\nBcc: v@x.io", "Hi", "", 0, "<i@x>")),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of(mail::render("a@x.io\r", "b@x.io", "Hi", "", 0, "<i@x>")),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of(mail::render("a@x.io", "not an address", "Hi", "", 0, "<i@x>")),
            ErrorCode::InvalidArgument);
}

TEST(MailMessage, NonAsciiSubjectIsEncodedInShortWords) {
  EXPECT_EQ(mail::encode_header_text("plain"), "plain");
  EXPECT_EQ(mail::encode_header_text("caf\xc3\xa9"), "=?UTF-8?B?Y2Fmw6k=?=");
  std::string long_subject;
  for (int i = 0; i < 40; ++i) long_subject += "\xe2\x82\xac";  // 40 euro signs, 120 bytes
  const std::string enc = mail::encode_header_text(long_subject);
  std::size_t start = 0, words = 0;
  for (;;) {
    const std::size_t end = enc.find("\r\n ", start);
    const std::string word = enc.substr(start, end - start);
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
    ++words;
    if (end == std::string::npos) break;
    start = end + 3;
  }
  EXPECT_EQ(words, 3u);  // 15 euro signs (45 bytes) per word
}

TEST(MailMessage, MessageIdsAreUniqueAndUseTheSendersDomain) {
  const std::string a = mail::make_message_id("noreply@cxmpute.cloud");
  EXPECT_TRUE(a.starts_with("<") && a.ends_with("@cxmpute.cloud>")) << a;
  EXPECT_NE(a, mail::make_message_id("noreply@cxmpute.cloud"));
}

}  // namespace
}  // namespace cx::auth
