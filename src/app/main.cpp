// cxmpute: the command-line entry point.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "app/audit_cmd.hpp"
#include "app/demo.hpp"
#include "app/node_cmd.hpp"
#include "app/replay.hpp"
#include "app/serve.hpp"

namespace {

int usage() {
  std::fputs(
      "usage: cxmpute <command> [args]\n"
      "  serve [--demo] [--config FILE] [--port N] ...\n"
      "                      run the exchange server (serve --help lists every flag)\n"
      "  node --provider-ak AK [--gateway URL] [--backend synthetic|URL] ...\n"
      "                      run a provider node for the AI gateway (node --help)\n"
      "  demo <orders.csv>   match a file of orders through one book and print the trades\n"
      "  replay [FILE] [--state]\n"
      "                      apply JSON command lines (FILE or stdin) through one exchange and\n"
      "                      print its events as JSON lines (docs/replay.md); --data DIR\n"
      "                      journals them into a data directory\n"
      "  audit <data-dir>    check that money is conserved in a data directory\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string_view cmd = argv[1];
  if (cmd == "serve") return cx::app::run_serve(std::vector<std::string>(argv + 2, argv + argc));
  if (cmd == "node") return cx::app::run_node(std::vector<std::string>(argv + 2, argv + argc));
  if (cmd == "demo" && argc == 3) return cx::app::run_demo(argv[2]);
  if (cmd == "replay") {
    const std::vector<std::string_view> args(argv + 2, argv + argc);
    return cx::app::run_replay(args);
  }
  if (cmd == "audit") {
    const std::vector<std::string_view> args(argv + 2, argv + argc);
    return cx::app::run_audit(args);
  }
  return usage();
}
