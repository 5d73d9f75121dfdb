// Kill -9 at random moments under load: after each crash and restart, every acknowledged
// command is in the log, none is there twice, each is the command that was sent, and the state
// recovered (snapshot + log) equals a fresh replay of the whole log.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "command_stream.hpp"
#include "engine/command_codec.hpp"
#include "engine/state_io.hpp"
#include "journal/durable_exchange.hpp"
#include "journal/log_reader.hpp"

namespace cx::journal {
namespace {

namespace fs = std::filesystem;

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child spawn(const std::string& dir, std::uint64_t seed) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    const std::string s = std::to_string(seed);
    ::execl(CX_CRASH_CHILD, CX_CRASH_CHILD, dir.c_str(), s.c_str(), "3000", "2000000",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return Child{pid, fds[0]};
}

/// Reads "ack N" lines for `ms` milliseconds; returns the largest N seen.
SeqNo read_acks(const Child& c, int ms) {
  SeqNo last = 0;
  std::string buf;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{c.out, POLLIN, 0};
    if (::poll(&p, 1, 5) <= 0) continue;
    char tmp[4096];
    const ssize_t n = ::read(c.out, tmp, sizeof tmp);
    if (n <= 0) break;
    buf.append(tmp, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      const std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (line.rfind("ack ", 0) == 0) last = std::stoull(line.substr(4));
    }
  }
  return last;
}

TEST(CrashRecovery, EveryAcknowledgedCommandSurvivesKillNine) {
  const std::uint64_t seed = std::random_device{}();
  std::printf("CrashRecovery seed=%llu\n", static_cast<unsigned long long>(seed));
  char tmpl[] = "/tmp/cx-crash-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::mt19937_64 rng(seed);
  SeqNo acked = 0;
  const int cycles = std::getenv("CX_SANITIZED") ? 3 : 6;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    Child c = spawn(dir, seed);
    ASSERT_GT(c.pid, 0);
    const SeqNo seen = read_acks(c, 60 + static_cast<int>(rng() % 240));
    ::kill(c.pid, SIGKILL);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    ::close(c.out);
    acked = std::max(acked, seen);

    // Recovered state, the way a restarted server would see it.
    RecoveryInfo info;
    auto recovered = load_read_only(dir, engine::ExchangeConfig{}, &info);
    ASSERT_TRUE(recovered.has_value()) << recovered.error().message;
    ASSERT_GE((*recovered)->last_seq(), acked) << "an acknowledged command was lost";

    // The whole log: contiguous, each record the command that was sent, replayed from scratch.
    engine::Exchange fresh{engine::ExchangeConfig{}};
    engine::ExEventBuffer ev;
    SeqNo expect = 1;
    std::vector<std::byte> want;
    auto n = for_each(fs::path(dir) / "journal", 0, [&](SeqNo seq, std::span<const std::byte> p) {
      EXPECT_EQ(seq, expect) << "a gap or a duplicate in the log";
      want.clear();
      engine::encode(testing::stream_command(seed, seq), want);
      EXPECT_TRUE(std::equal(p.begin(), p.end(), want.begin(), want.end()))
          << "record " << seq << " is not the command sent";
      auto cmd = engine::decode(seq, p);
      ASSERT_TRUE(cmd.has_value());
      ev.clear();
      fresh.apply(*cmd, ev);
      ++expect;
    });
    ASSERT_TRUE(n.has_value()) << n.error().message;
    EXPECT_EQ(fresh.last_seq(), (*recovered)->last_seq());
    std::vector<std::byte> a, b;
    engine::save_state(fresh, a);
    engine::save_state(**recovered, b);
    EXPECT_TRUE(a == b) << "snapshot + log differs from a fresh replay (cycle " << cycle
                        << ", snapshot at " << info.snapshot_seq << ")";
    auto audit = fresh.audit();
    EXPECT_TRUE(audit.ok()) << (audit.ok() ? "" : audit.problems.front());
    std::printf("cycle %d: acked %llu, recovered %llu, snapshot %llu\n", cycle,
                static_cast<unsigned long long>(acked),
                static_cast<unsigned long long>((*recovered)->last_seq()),
                static_cast<unsigned long long>(info.snapshot_seq));
  }
  EXPECT_GT(acked, 0u) << "the writer never acknowledged anything";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cx::journal
