#include "journal/snapshot_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/state_io.hpp"
#include "journal/crc32c.hpp"
#include "journal/file_io.hpp"
#include "journal/format.hpp"

namespace cx::journal {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kSnapMagic = 0x53535843;  // "CXSS"
constexpr std::uint32_t kSnapVersion = 1;
constexpr std::size_t kHeader = 32;

std::string snap_name(SeqNo seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.snap", static_cast<unsigned long long>(seq));
  return buf;
}

/// Snapshots in `dir`, newest first.
std::vector<std::pair<SeqNo, fs::path>> list(const fs::path& dir) {
  std::vector<std::pair<SeqNo, fs::path>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 25 || !name.ends_with(".snap")) continue;
    if (!std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    out.emplace_back(std::stoull(name.substr(0, 20)), e.path());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

}  // namespace

Result<fs::path> write_snapshot(const fs::path& dir, SeqNo seq, std::span<const std::byte> state) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return std::unexpected(io_error("create", dir, ec.value()));
  std::byte header[kHeader] = {};
  format::put_u32(header, kSnapMagic);
  format::put_u32(header + 4, kSnapVersion);
  format::put_u64(header + 8, seq);
  format::put_u64(header + 16, state.size());
  format::put_u32(header + 24, crc32c(state));
  const fs::path final_path = dir / snap_name(seq);
  const fs::path tmp = dir / (snap_name(seq) + ".tmp." + std::to_string(::getpid()));
  auto fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC);
  if (!fd) return std::unexpected(fd.error());
  if (auto r = write_all(*fd, std::span<const std::byte>(header, kHeader), 0, tmp); !r)
    return std::unexpected(r.error());
  if (auto r = write_all(*fd, state, kHeader, tmp); !r) return std::unexpected(r.error());
  if (auto r = sync_data(*fd, tmp); !r) return std::unexpected(r.error());
  fd->reset();
  fs::rename(tmp, final_path, ec);
  if (ec) return std::unexpected(io_error("rename", tmp, ec.value()));
  if (auto r = sync_dir(dir); !r) return std::unexpected(r.error());
  return final_path;
}

Result<LoadedSnapshot> load_newest_snapshot(const fs::path& dir, SeqNo max_seq) {
  LoadedSnapshot out;
  for (const auto& [seq, path] : list(dir)) {
    if (seq > max_seq) {
      out.skipped.push_back(path.string() + ": after the end of the log");
      continue;
    }
    auto map = MappedFile::open(path);
    if (!map) {
      out.skipped.push_back(map.error().message);
      continue;
    }
    auto bytes = map->bytes();
    if (bytes.size() < kHeader || format::get_u32(bytes.data()) != kSnapMagic ||
        format::get_u32(bytes.data() + 4) != kSnapVersion ||
        format::get_u64(bytes.data() + 8) != seq ||
        format::get_u64(bytes.data() + 16) != bytes.size() - kHeader) {
      out.skipped.push_back(path.string() + ": bad header");
      continue;
    }
    auto state = bytes.subspan(kHeader);
    if (crc32c(state) != format::get_u32(bytes.data() + 24)) {
      out.skipped.push_back(path.string() + ": checksum mismatch");
      continue;
    }
    auto x = engine::load_state(state);
    if (!x) {
      out.skipped.push_back(path.string() + ": " + x.error().message);
      continue;
    }
    if ((*x)->last_seq() != seq) {
      out.skipped.push_back(path.string() + ": state is at another sequence number");
      continue;
    }
    out.seq = seq;
    out.exchange = std::move(*x);
    out.path = path;
    return out;
  }
  return out;
}

SeqNo prune_snapshots(const fs::path& dir, std::size_t keep) {
  auto all = list(dir);
  if (keep == 0) keep = 1;
  std::error_code ec;
  for (std::size_t i = keep; i < all.size(); ++i) fs::remove(all[i].second, ec);
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    // Temporary files of writers that died (their pid is gone).
    auto pos = name.find(".snap.tmp.");
    if (pos == std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::atoi(name.c_str() + pos + 10));
    if (pid > 0 && ::kill(pid, 0) != 0) fs::remove(e.path(), ec);
  }
  return all.empty() ? 0 : all[std::min(keep, all.size()) - 1].first;
}

}  // namespace cx::journal
