#pragma once
/// The long-running commands (serve, node) stop on SIGINT or SIGTERM taken by sigwait().

#include <pthread.h>

#include <csignal>

namespace cx::app {

/// Blocks SIGINT and SIGTERM in this thread (call before any thread starts, so every thread
/// inherits the mask) and ignores SIGPIPE; returns the set to sigwait() on.
inline sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return signals;
}

}  // namespace cx::app
