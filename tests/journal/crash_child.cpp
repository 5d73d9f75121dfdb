// The writer side of the crash test: journals the deterministic command stream in random-sized
// group commits and prints "ack <seq>" after each commit, until it is killed (or has written
// `limit` commands). Usage: journal_crash_child <dir> <seed> <snapshot_every> <limit>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "command_stream.hpp"
#include "journal/durable_exchange.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: journal_crash_child <dir> <seed> <snapshot_every> <limit>\n");
    return 2;
  }
  const std::uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  cx::journal::DurableOptions opt;
  opt.snapshot_every = std::strtoull(argv[3], nullptr, 10);
  opt.remove_old_segments = false;  // the checker replays the whole log from seq 1
  opt.log.segment_bytes = 256 * 1024;
  const std::uint64_t limit = std::strtoull(argv[4], nullptr, 10);
  auto d = cx::journal::DurableExchange::open(argv[1], opt);
  if (!d) {
    std::fprintf(stderr, "open: %s\n", d.error().message.c_str());
    return 1;
  }
  std::printf("start %llu\n", static_cast<unsigned long long>((*d)->last_seq()));
  std::fflush(stdout);
  cx::engine::ExEventBuffer ev;
  std::uint64_t h = seed ^ (*d)->last_seq();
  while ((*d)->last_seq() < limit) {
    h = cx::mix64(h + 1);
    const auto batch = 1 + h % 64;
    for (std::uint64_t i = 0; i < batch; ++i) {
      ev.clear();
      auto cmd = cx::journal::testing::stream_command(seed, (*d)->last_seq() + 1);
      if (auto r = (*d)->submit(std::move(cmd), ev); !r) {
        std::fprintf(stderr, "submit: %s\n", r.error().message.c_str());
        return 1;
      }
    }
    if (auto r = (*d)->commit(); !r) {
      std::fprintf(stderr, "commit: %s\n", r.error().message.c_str());
      return 1;
    }
    std::printf("ack %llu\n", static_cast<unsigned long long>((*d)->last_seq()));
    std::fflush(stdout);
  }
  return 0;
}
