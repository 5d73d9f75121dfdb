// The outbox mailer: one .eml file per message.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "auth/mailer.hpp"
#include "auth_fixture.hpp"

namespace cx::auth {
namespace {

using test::code_of;
using test::ok;

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(OutboxMailer, WritesEachMessageToItsOwnFile) {
  test::TempDir dir;
  OutboxMailer outbox(dir / "outbox", "Cxmpute <noreply@cxmpute.cloud>");
  ok(outbox.send("ann@example.com", "Your login code", "123456"));
  ok(outbox.send("bob+x@example.com", "Your login code", "654321"));
  const auto files = files_in(dir / "outbox");
  ASSERT_EQ(files.size(), 2u);
  // <13-digit ms>-<n>-<to>.eml
  const std::string first = files[0].filename().string();
  ASSERT_GT(first.size(), 14u);
  EXPECT_EQ(first.substr(0, 13).find_first_not_of("0123456789"), std::string::npos) << first;
  EXPECT_EQ(first[13], '-') << first;
  EXPECT_TRUE(first.ends_with(".eml")) << first;
  const bool ann_first =
      first.ends_with("-1-ann@example.com.eml") || first.ends_with("-2-ann@example.com.eml");
  const std::string ann = ann_first ? slurp(files[0]) : slurp(files[1]);
  EXPECT_NE(ann.find("To: ann@example.com\r\n"), std::string::npos) << ann;
  EXPECT_NE(ann.find("Subject: Your login code\r\n"), std::string::npos);
  EXPECT_NE(ann.find("From: Cxmpute <noreply@cxmpute.cloud>\r\n"), std::string::npos);
  EXPECT_TRUE(ann.ends_with("\r\n\r\n123456\r\n"));
  const std::string second = files[1].filename().string();
  EXPECT_TRUE(second.ends_with("-bob_x@example.com.eml") ||
              first.ends_with("-bob_x@example.com.eml"));
}

TEST(OutboxMailer, RefusesHeaderInjection) {
  test::TempDir dir;
  OutboxMailer outbox(dir.path());
  EXPECT_EQ(code_of(outbox.send("ann@example.com", "Hi\r\nBcc: x@y.io", "")),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of(outbox.send("ann@example.com\nBcc: x@y.io", "Hi", "")),
            ErrorCode::InvalidArgument);
  EXPECT_TRUE(files_in(dir.path()).empty());
}

TEST(OutboxMailer, UnwritableDirectoryIsAnIoError) {
  test::TempDir dir;
  { std::ofstream(dir / "file") << "x"; }
  OutboxMailer outbox(dir / "file" / "outbox");
  EXPECT_EQ(code_of(outbox.send("ann@example.com", "Hi", "")), ErrorCode::IoError);
}

}  // namespace
}  // namespace cx::auth
