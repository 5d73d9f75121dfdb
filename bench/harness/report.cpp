#include "harness/report.hpp"

#include <cstdio>

namespace cx::bench {

void report(std::string_view bench, std::initializer_list<Figure> figures) {
  std::printf("BENCH %.*s", static_cast<int>(bench.size()), bench.data());
  for (const Figure& f : figures)
    std::printf(" %.*s=%.*f", static_cast<int>(f.name.size()), f.name.data(), f.decimals, f.value);
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace cx::bench
