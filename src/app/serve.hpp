#pragma once
/// `cxmpute serve [flags]`: the server (docs/server.md). Runs until SIGINT or SIGTERM, then
/// stops accepting, drains in-flight requests, makes the journal durable, writes a snapshot and
/// returns 0. Returns 1 when it cannot start (data directory, port), 2 on a configuration error.

#include <string>
#include <vector>

namespace cx::app {

int run_serve(const std::vector<std::string>& args);

}  // namespace cx::app
