#pragma once
/// Small helpers for the server's own threads (Linux).

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace cx {

/// Names the calling thread (15 characters show in top and perf).
inline void name_this_thread(const char* name) noexcept {
  pthread_setname_np(pthread_self(), name);
}

/// Lowers the calling thread's priority (nice `level`, Linux's per-thread nice) for background
/// work (persistence, housekeeping) that must keep up on average but should yield the cores
/// to the request path when both want them. Failure (a sandbox that forbids it) is ignored.
inline void make_this_thread_background(int level = 10) noexcept {
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), level);
}

}  // namespace cx
