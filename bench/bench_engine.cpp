// bench_engine: the exchange benchmarks. `bench_engine` runs all of them; `bench_engine --only
// <name>` runs one (`engine.mix`) or the whole group (`engine`).

#include <cstdio>
#include <string_view>

#include "exchange/benchmarks.hpp"

namespace {

struct Benchmark {
  std::string_view name;
  void (*run)();
};

constexpr std::string_view kGroup = "engine";
constexpr Benchmark kBenchmarks[] = {
    {"engine.mix", cx::bench::exchange::mix},
    {"engine.journaled", cx::bench::exchange::journaled},
    {"engine.replay", cx::bench::exchange::replay},
    {"engine.snapshot", cx::bench::exchange::snapshot},
    {"risk.mark_update", cx::bench::exchange::mark_update},
};

/// `engine` or `risk`: the group part of a benchmark's name.
constexpr std::string_view group_of(std::string_view name) {
  return name.substr(0, name.find('.'));
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view only;
  if (argc == 3 && std::string_view(argv[1]) == "--only") {
    only = argv[2];
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--only <group>|<group>.<name>]\n", argv[0]);
    return 2;
  }
  bool ran = false;
  for (const Benchmark& b : kBenchmarks) {
    if (!only.empty() && only != kGroup && only != group_of(b.name) && only != b.name) continue;
    b.run();
    ran = true;
  }
  if (!ran) {
    std::fprintf(stderr, "bench_engine: no benchmark named '%.*s'\n", static_cast<int>(only.size()),
                 only.data());
    return 2;
  }
  return 0;
}
