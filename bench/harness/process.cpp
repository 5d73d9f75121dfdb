#include "harness/process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace cx::bench {

namespace {

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(2);
}

bool write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_all(int fd, void* data, std::size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

std::vector<double> run_isolated(const std::function<std::vector<double>()>& measure) {
  int fds[2];
  if (::pipe(fds) != 0) die("pipe");
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::close(fds[0]);
    std::vector<double> v = measure();
    std::size_t n = v.size();
    bool ok = write_all(fds[1], &n, sizeof n) && write_all(fds[1], v.data(), n * sizeof(double));
    std::fflush(nullptr);
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::size_t n = 0;
  std::vector<double> v;
  bool ok = read_all(fds[0], &n, sizeof n);
  if (ok) {
    v.resize(n);
    ok = read_all(fds[0], v.data(), n * sizeof(double));
  }
  ::close(fds[0]);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) die("waitpid");
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench: measurement child failed (status %d)\n", status);
    std::exit(2);
  }
  return v;
}

std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) die("/proc/self/statm");
  unsigned long size = 0, resident = 0;
  int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (got != 2) die("/proc/self/statm: parse");
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace cx::bench
