#include "gateway/nginx.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "server/server_proc.hpp"

namespace cx::bench::gateway {

namespace fs = std::filesystem;

std::string find_or_install_nginx(std::string& why) {
  const char* path = "/usr/sbin/nginx";
  if (::access(path, X_OK) == 0) return path;
  if (::geteuid() != 0) {
    why = "not installed, and installing needs root";
    return {};
  }
  std::fprintf(stderr, "# gateway.overhead: installing nginx with apt-get (once)\n");
  for (const char* pkg : {"nginx-light", "nginx"}) {
    const std::string cmd = std::string("DEBIAN_FRONTEND=noninteractive apt-get install -y -q ") +
                            pkg + " >/tmp/cx-bench-apt.log 2>&1";
    if (std::system(cmd.c_str()) == 0 && ::access(path, X_OK) == 0) return path;
  }
  why = "apt-get install failed (see /tmp/cx-bench-apt.log)";
  return {};
}

NginxProxy::NginxProxy(const std::string& binary, std::uint16_t upstream_port) {
  std::random_device rd;
  dir_ = fs::temp_directory_path() /
         ("cx-bench-nginx-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir_ / "tmp");
  port_ = server::free_port();
  {
    std::ofstream conf(dir_ / "nginx.conf");
    conf << "daemon off;\n"
            "master_process on;\n"
            "worker_processes auto;\n"
            "pid "
         << (dir_ / "nginx.pid").string() << ";\n"
         << "error_log " << (dir_ / "error.log").string() << " warn;\n"
         << "events { worker_connections 4096; }\n"
            "http {\n"
            "  access_log off;\n"
            "  client_body_temp_path "
         << (dir_ / "tmp").string() << ";\n"
         << "  proxy_temp_path " << (dir_ / "tmp").string() << ";\n"
         << "  keepalive_requests 1000000;\n"
            "  upstream stub {\n"
            "    server 127.0.0.1:"
         << upstream_port << ";\n"
         << "    keepalive 128;\n"
            "    keepalive_requests 1000000;\n"
            "  }\n"
            "  server {\n"
            "    listen 127.0.0.1:"
         << port_ << ";\n"
         << "    location / {\n"
            "      proxy_pass http://stub;\n"
            "      proxy_http_version 1.1;\n"
            "      proxy_set_header Connection \"\";\n"
            "    }\n"
            "  }\n"
            "}\n";
  }
  process_ = std::make_unique<Child>(
      std::vector<std::string>{binary, "-p", dir_.string(), "-c", (dir_ / "nginx.conf").string()},
      true);
  for (int i = 0; i < 100; ++i) {
    if (server::http(port_, "GET", "/health").status != 0) return;
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  process_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
  throw std::runtime_error("nginx did not start (config in " + dir_.string() + ")");
}

NginxProxy::~NginxProxy() {
  process_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace cx::bench::gateway
