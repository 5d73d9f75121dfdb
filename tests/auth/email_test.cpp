// Email normalisation: trimming, case, and the accepted shape.

#include "auth/email.hpp"

#include <gtest/gtest.h>

namespace cx::auth {
namespace {

TEST(Email, IsTrimmedAndLowercased) {
  EXPECT_EQ(normalize_email("  Alice.Smith+News@Example.COM \t\n"), "alice.smith+news@example.com");
  EXPECT_EQ(normalize_email("a@b.co"), "a@b.co");
  EXPECT_EQ(normalize_email("o'neil_x-y@mail.sub-domain.example.org"),
            "o'neil_x-y@mail.sub-domain.example.org");
  EXPECT_EQ(normalize_email("x@xn--bcher-kva.example"), "x@xn--bcher-kva.example");
}

TEST(Email, NeedsExactlyOneAtAndBothParts) {
  for (const char* bad :
       {"", "   ", "alice", "alice@", "@example.com", "a@b@example.com", "alice@@example.com"})
    EXPECT_FALSE(normalize_email(bad)) << bad;
}

TEST(Email, DomainNeedsADotAndSaneLabels) {
  for (const char* bad :
       {"a@localhost", "a@.example.com", "a@example.com.", "a@example..com", "a@-ex.com",
        "a@ex-.com", "a@ex_ample.com", "a@exa mple.com", "a@example.123", "a@[127.0.0.1]"})
    EXPECT_FALSE(normalize_email(bad)) << bad;
  EXPECT_FALSE(normalize_email("a@" + std::string(64, 'x') + ".com"));
  EXPECT_TRUE(normalize_email("a@" + std::string(63, 'x') + ".com"));
}

TEST(Email, LocalPartRules) {
  for (const char* bad : {".a@example.com", "a.@example.com", "a..b@example.com",
                          "\"quoted\"@example.com", "a(b)@example.com", "a,b@example.com"})
    EXPECT_FALSE(normalize_email(bad)) << bad;
  EXPECT_TRUE(normalize_email(std::string(64, 'a') + "@example.com"));
  EXPECT_FALSE(normalize_email(std::string(65, 'a') + "@example.com"));
}

TEST(Email, RefusesSpacesControlsAndNonAscii) {
  for (const std::string& bad :
       {std::string("al ice@example.com"), std::string("alice@exa\tmple.com"),
        std::string("alice\r\n@example.com"), std::string("alice\0@example.com", 18),
        std::string("al\x7fice@example.com"), std::string("j\xc3\xbcrgen@example.com"),
        std::string("alice@example.com\r\nBcc: victim@example.com")})
    EXPECT_FALSE(normalize_email(bad)) << bad;
}

TEST(Email, TotalLengthIsAtMost254) {
  // 64 + 1 + 189 = 254 characters: labels of 45, 45, 45 and 47, then ".com".
  const std::string label(45, 'd');
  const std::string domain =
      label + "." + label + "." + label + "." + std::string(47, 'e') + ".com";
  const std::string ok = std::string(64, 'a') + "@" + domain;
  ASSERT_EQ(ok.size(), 254u);
  EXPECT_TRUE(normalize_email(ok));
  EXPECT_FALSE(normalize_email("a" + ok));
}

}  // namespace
}  // namespace cx::auth
