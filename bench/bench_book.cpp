// bench_book: the order book benchmarks. `bench_book` runs all of them; `bench_book --only
// <name>` runs one (`book.memory`) or the whole group (`book`).

#include <cstdio>
#include <string_view>

#include "book/benchmarks.hpp"

namespace {

struct Benchmark {
  std::string_view name;
  void (*run)();
};

constexpr std::string_view kGroup = "book";
constexpr Benchmark kBenchmarks[] = {
    {"book.liquibook_stream", cx::bench::book::liquibook_stream},
    {"book.exchange_core_mix", cx::bench::book::exchange_core_mix},
    {"book.memory", cx::bench::book::memory},
};

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--only <group>|<group>.<name>]\nbenchmarks:\n", argv0);
  for (const Benchmark& b : kBenchmarks)
    std::fprintf(stderr, "  %.*s\n", static_cast<int>(b.name.size()), b.name.data());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view only;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      return usage(argv[0]);
    }
  }
  bool ran = false;
  for (const Benchmark& b : kBenchmarks) {
    if (!only.empty() && only != kGroup && only != b.name) continue;
    b.run();
    ran = true;
  }
  if (!ran) {
    std::fprintf(stderr, "bench_book: no benchmark named '%.*s'\n", static_cast<int>(only.size()),
                 only.data());
    return usage(argv[0]);
  }
  return 0;
}
