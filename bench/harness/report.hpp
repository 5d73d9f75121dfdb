#pragma once
/// The one line each benchmark prints: `BENCH <name> <figure>=<value> ...`. scripts/run-bench and
/// whoever reads its output parse exactly this; notes for humans go to stderr prefixed with '#'.

#include <initializer_list>
#include <string_view>

namespace cx::bench {

struct Figure {
  std::string_view name;
  double value;
  int decimals = 1;  ///< digits after the point
};

/// Prints the BENCH line for `bench` to stdout and flushes it.
void report(std::string_view bench, std::initializer_list<Figure> figures);

}  // namespace cx::bench
