// Journal throughput: group-committed appends (fdatasync per batch) and sequential reads.
//   journal_throughput [--dir D] [--batches N] [--batch-size N] [--record-bytes N]
// Prints:
//   BENCH journal.append records_per_s=... commit_p50_us=... commit_p99_us=... ...
//   BENCH journal.read records_per_s=... ...
// Without --dir a fresh directory under /tmp is used and removed at the end; a --dir is kept.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "journal/log_reader.hpp"
#include "journal/log_writer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "journal_throughput: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir;
  std::size_t batches = 500;
  std::size_t batch_size = 1000;
  std::size_t record_bytes = 64;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 == argc) die("missing value for " + flag);
    const char* value = argv[i + 1];
    if (flag == "--dir") {
      dir = value;
    } else if (flag == "--batches") {
      batches = std::strtoul(value, nullptr, 10);
    } else if (flag == "--batch-size") {
      batch_size = std::strtoul(value, nullptr, 10);
    } else if (flag == "--record-bytes") {
      record_bytes = std::strtoul(value, nullptr, 10);
    } else {
      die("unknown flag " + flag);
    }
  }
  if (batches == 0 || batch_size == 0) die("--batches and --batch-size must be positive");
  const bool own_dir = dir.empty();
  if (own_dir) {
    std::string tmpl = "/tmp/cx_journal_bench.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) die("mkdtemp failed");
    dir = tmpl;
  }

  std::vector<std::byte> payload(record_bytes);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::byte>(i * 31);

  const std::uint64_t total = std::uint64_t{batches} * batch_size;
  {
    auto w = cx::journal::LogWriter::open(dir);
    if (!w) die(w.error().message);
    std::vector<double> commit_us;
    commit_us.reserve(batches);
    double append_secs = 0;
    cx::SeqNo seq = w->last_seq() + 1;
    const auto start = Clock::now();
    for (std::size_t b = 0; b < batches; ++b) {
      const auto append_start = Clock::now();
      for (std::size_t i = 0; i < batch_size; ++i) {
        if (auto r = w->append(seq++, payload); !r) die(r.error().message);
      }
      append_secs += seconds_since(append_start);
      const auto commit_start = Clock::now();
      if (auto r = w->commit(); !r) die(r.error().message);
      commit_us.push_back(seconds_since(commit_start) * 1e6);
    }
    const double secs = seconds_since(start);
    std::printf(
        "BENCH journal.append records_per_s=%.0f commit_p50_us=%.0f commit_p99_us=%.0f "
        "append_ns_per_record=%.1f batch=%zu record_bytes=%zu records=%llu\n",
        static_cast<double>(total) / secs, percentile(commit_us, 0.50), percentile(commit_us, 0.99),
        append_secs * 1e9 / static_cast<double>(total), batch_size, record_bytes,
        static_cast<unsigned long long>(total));
  }

  // Read the log back several times; the best pass is the figure (page cache warm).
  double best = 0;
  std::uint64_t checksum = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const auto start = Clock::now();
    auto n = cx::journal::for_each(
        dir, 0, [&](cx::SeqNo s, std::span<const std::byte> p) { checksum += s + p.size(); });
    const double secs = seconds_since(start);
    if (!n) die(n.error().message);
    if (*n != total) die("read " + std::to_string(*n) + " records, wrote " + std::to_string(total));
    best = std::max(best, static_cast<double>(*n) / secs);
  }
  std::printf("BENCH journal.read records_per_s=%.0f records=%llu checksum=%llu\n", best,
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(checksum));

  if (own_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
