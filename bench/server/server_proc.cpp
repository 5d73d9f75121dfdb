#include "server/server_proc.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cx::bench::server {

namespace fs = std::filesystem;

std::string cxmpute_binary() {
  if (const char* b = std::getenv("CX_BENCH_BINARY")) return b;
  return CX_BINARY;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("bind: no free port");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

HttpResult http(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResult r;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  std::size_t off = 0;
  while (off < req.size()) {
    const ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  std::string in;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos || in.size() < 12) return r;
  r.status = std::atoi(in.c_str() + 9);
  std::istringstream hs(in.substr(0, head_end));
  std::string line;
  std::getline(hs, line);
  while (std::getline(hs, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    r.headers.emplace_back(line.substr(0, colon), v);
  }
  r.body = in.substr(head_end + 4);
  return r;
}

std::string json_string(const std::string& json, const std::string& key) {
  const std::string pat = "\"" + key + "\":\"";
  const auto p = json.find(pat);
  if (p == std::string::npos) return {};
  const auto start = p + pat.size();
  const auto end = json.find('"', start);
  return end == std::string::npos ? std::string{} : json.substr(start, end - start);
}

ServerProcess::ServerProcess(const std::string& binary, const std::vector<std::string>& env,
                             const std::vector<std::string>& extra_args) {
  std::random_device rd;
  dir_ = fs::temp_directory_path() /
         ("cx-bench-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir_);
  port_ = free_port();
  std::vector<std::string> args{
      binary,        "serve", "--data", (dir_ / "data").string(), "--port", std::to_string(port_),
      "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  for (int i = 0; i < 600; ++i) {
    if (http(port_, "GET", "/readyz").status == 200) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the server exited at start-up");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("the server did not become ready in 30 s");
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::int64_t ServerProcess::rss_bytes() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

std::map<std::string, double> ServerProcess::thread_cpu_seconds() const {
  std::map<std::string, double> out;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid_) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream f(t.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    // pid (comm) state ...: comm may hold spaces, so split at its closing parenthesis.
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    double utime = 0;
    double stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::atof(field.c_str());
      if (i == 15) stime = std::atof(field.c_str());
    }
    out[stat.substr(open + 1, close - open - 1)] += (utime + stime) / tick;
  }
  return out;
}

ServerProcess::Login ServerProcess::login(const std::string& email) {
  const HttpResult req =
      http(port_, "POST", "/api/auth/login/request", R"({"email":")" + email + R"("})");
  if (req.status != 200) throw std::runtime_error("login request: " + req.body);
  // The newest outbox message for this address holds the code.
  std::string code;
  for (int i = 0; i < 100 && code.empty(); ++i) {
    fs::file_time_type newest = fs::file_time_type::min();
    for (const auto& e : fs::directory_iterator(dir_ / "data" / "outbox")) {
      if (e.path().filename().string().find(email) == std::string::npos) continue;
      if (e.last_write_time() < newest) continue;
      newest = e.last_write_time();
      std::ifstream f(e.path());
      std::stringstream ss;
      ss << f.rdbuf();
      std::smatch m;
      const std::string text = ss.str();
      if (std::regex_search(text, m, std::regex("code is ([0-9]{6})"))) code = m[1];
    }
    if (code.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (code.empty()) throw std::runtime_error("no login code for " + email);
  const HttpResult v = http(port_, "POST", "/api/auth/login/verify",
                            R"({"email":")" + email + R"(","code":")" + code + R"("})");
  if (v.status != 200) throw std::runtime_error("login verify: " + v.body);
  // The traderAk is the secret starting "cx_t_".
  const auto p = v.body.find("\"secret\":\"cx_t_");
  std::string trader_key;
  if (p != std::string::npos) {
    const auto start = p + 10;
    trader_key = v.body.substr(start, v.body.find('"', start) - start);
  }
  return {json_string(v.body, "accessToken"), trader_key, json_string(v.body, "id")};
}

}  // namespace cx::bench::server
