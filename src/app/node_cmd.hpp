#pragma once
/// `cxmpute node [flags]`: the reference provider node (docs/gateway.md, "Node protocol").
/// Serves the node protocol on its own port, registers with a gateway using a providerAk, sends
/// heartbeats, and answers each request either with the built-in synthetic backend
/// (`--backend synthetic`) or by forwarding to an OpenAI-compatible server (`--backend URL`:
/// llama.cpp's server, vLLM, Ollama). Leaves the gateway cleanly on SIGINT/SIGTERM.
/// Returns 0 after a clean stop, 1 when it cannot start, 2 on bad flags.

#include <string>
#include <vector>

namespace cx::app {

int run_node(const std::vector<std::string>& args);

}  // namespace cx::app
