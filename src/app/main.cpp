// cxmpute: the command-line entry point.
#include <cstdio>
#include <string_view>

#include "app/demo.hpp"

namespace {

int usage() {
  std::fputs(
      "usage: cxmpute <command> [args]\n"
      "  demo <orders.csv>   match a file of orders through one book and print the trades\n"
      "                      (the network server arrives with a later milestone)\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string_view cmd = argv[1];
  if (cmd == "demo" && argc == 3) return cx::app::run_demo(argv[2]);
  return usage();
}
