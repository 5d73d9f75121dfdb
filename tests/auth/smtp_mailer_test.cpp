// SmtpMailer against a real SMTP server: aiosmtpd, started as a child process, storing what it
// receives in a maildir.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/mailer.hpp"
#include "auth_fixture.hpp"

extern char** environ;

namespace cx::auth {
namespace {

using test::code_of;
using test::ok;

constexpr const char* kPython = "/usr/bin/python3";

/// A free TCP port on 127.0.0.1 (bound, read, released: another process could take it in
/// between, which is unlikely enough for a test).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("free_port failed");
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// `python3 -m aiosmtpd` on a free port, storing messages in <dir>/maildir; killed (SIGTERM,
/// then waited for) on destruction.
class SmtpSink {
 public:
  SmtpSink() : port_(free_port()) {
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string maildir = (dir_ / "maildir").string();
    const std::string log = (dir_ / "aiosmtpd.log").string();
    std::vector<std::string> args{
        kPython, "-m", "aiosmtpd", "-n", "-l", listen, "-c", "aiosmtpd.handlers.Mailbox", maildir};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int rc = ::posix_spawn(&pid_, kPython, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("posix_spawn failed");
    }
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;
  ~SmtpSink() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  /// Waits (at most 10 s) for the server to accept connections; false if it did not (or died).
  bool wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (accepts(port_)) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  /// The messages received so far (the Mailbox handler writes each before replying 250).
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    const auto dir = dir_ / "maildir" / "new";
    if (!std::filesystem::exists(dir)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(slurp(e.path()));
    return out;
  }

  std::string log() const { return slurp(dir_ / "aiosmtpd.log"); }
  std::uint16_t port() const { return port_; }

 private:
  test::TempDir dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

bool have_aiosmtpd() {
  return std::system("/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1") == 0;
}

SmtpOptions plain(std::uint16_t port) {
  SmtpOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = SmtpOptions::Tls::None;
  o.from = "Cxmpute <noreply@cxmpute.test>";
  o.timeout_ms = 5000;
  return o;
}

TEST(SmtpMailer, DeliversAMessageToARealSmtpServer) {
  if (!have_aiosmtpd())
    GTEST_SKIP() << "python3 aiosmtpd is not installed (apt install python3-aiosmtpd)";
  SmtpSink sink;
  ASSERT_TRUE(sink.wait_ready()) << "aiosmtpd did not start:\n" << sink.log();
  SmtpMailer mailer(plain(sink.port()));
  ok(mailer.send("ann@example.com", "Your login code", "Your code is 123456.\n.\nBye"));
  const auto got = sink.messages();
  ASSERT_EQ(got.size(), 1u) << sink.log();
  const std::string& m = got[0];
  EXPECT_NE(m.find("To: ann@example.com"), std::string::npos) << m;
  EXPECT_NE(m.find("Subject: Your login code"), std::string::npos) << m;
  EXPECT_NE(m.find("From: Cxmpute <noreply@cxmpute.test>"), std::string::npos) << m;
  EXPECT_NE(m.find("X-MailFrom: noreply@cxmpute.test"), std::string::npos) << m;
  EXPECT_NE(m.find("X-RcptTo: ann@example.com"), std::string::npos) << m;
  EXPECT_NE(m.find("Message-ID: <"), std::string::npos) << m;
  EXPECT_NE(m.find("Date: "), std::string::npos) << m;
  // The lone "." line survived SMTP's end-of-data marker (dot-stuffing).
  EXPECT_NE(m.find("Your code is 123456.\n.\nBye"), std::string::npos) << m;
}

TEST(SmtpMailer, StartTlsIsRequiredNotOptional) {
  if (!have_aiosmtpd())
    GTEST_SKIP() << "python3 aiosmtpd is not installed (apt install python3-aiosmtpd)";
  SmtpSink sink;  // offers no STARTTLS
  ASSERT_TRUE(sink.wait_ready()) << "aiosmtpd did not start:\n" << sink.log();
  SmtpOptions o = plain(sink.port());
  o.tls = SmtpOptions::Tls::StartTls;
  SmtpMailer mailer(o);
  EXPECT_EQ(code_of(mailer.send("ann@example.com", "Hi", "secret")), ErrorCode::Unavailable);
  EXPECT_TRUE(sink.messages().empty());
}

TEST(SmtpMailer, UnreachableServerIsUnavailable) {
  SmtpMailer mailer(plain(free_port()));
  const auto r = mailer.send("ann@example.com", "Hi", "x");
  EXPECT_EQ(code_of(r), ErrorCode::Unavailable);
  if (!r) {
    EXPECT_TRUE(r.error().message.starts_with("smtp: ")) << r.error().message;
  }
}

TEST(SmtpMailer, HeaderInjectionIsRefusedBeforeConnecting) {
  SmtpMailer mailer(plain(free_port()));
  EXPECT_EQ(code_of(mailer.send("ann@example.com", "Hi\r\nBcc: v@x.io", "x")),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of(mailer.send("ann@example.com\r\nBcc: v@x.io", "Hi", "x")),
            ErrorCode::InvalidArgument);
}

TEST(SmtpMailer, BadConfigurationIsRefusedAtStartUp) {
  SmtpOptions o = plain(25);
  o.from = "not a mailbox";
  EXPECT_THROW(SmtpMailer{o}, std::invalid_argument);
  o = plain(25);
  o.host.clear();
  EXPECT_THROW(SmtpMailer{o}, std::invalid_argument);
}

}  // namespace
}  // namespace cx::auth
