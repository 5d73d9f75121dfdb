#pragma once
/// Measurements that must not see each other: each runs in a forked child, so it starts from the
/// parent's heap (pre-generated inputs included, shared copy-on-write) and nothing it frees can be
/// reused by the next one. Linux only.

#include <cstddef>
#include <functional>
#include <vector>

namespace cx::bench {

/// Runs `measure` in a child process and returns the numbers it returned. Exits the program
/// with a message if the child fails.
std::vector<double> run_isolated(const std::function<std::vector<double>()>& measure);

/// Resident set size of this process in bytes (/proc/self/statm).
std::size_t rss_bytes();

}  // namespace cx::bench
