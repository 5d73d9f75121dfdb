#pragma once
/// A child process the benchmark starts and must stop: started with fork + execv, stopped by
/// its PID (SIGTERM, then SIGKILL after a bounded wait) in the destructor, so an exception on
/// the way out still stops it.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cx::bench::gateway {

class Child {
 public:
  /// Starts `argv[0]` with `argv`; stdout (and stderr when `quiet`) go to /dev/null.
  explicit Child(std::vector<std::string> argv, bool quiet = false);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// False once the child has exited (reaped here).
  bool running();
  /// SIGTERM, wait up to `grace`, then SIGKILL. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  pid_t pid_ = -1;
};

/// VmRSS of process `pid` in bytes (0 if unreadable).
std::int64_t rss_of(pid_t pid);

/// User + system CPU seconds of process `pid` so far (/proc/<pid>/stat), all threads.
double cpu_seconds_of(pid_t pid);

}  // namespace cx::bench::gateway
