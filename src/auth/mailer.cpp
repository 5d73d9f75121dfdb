// The Mailer interface and the outbox (files) mailer.

#include "auth/mailer.hpp"

#include <chrono>
#include <fstream>
#include <system_error>

#include "auth/mail_message.hpp"

namespace cx::auth {

Mailer::~Mailer() = default;

namespace {

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string sanitize(std::string_view to) {
  std::string out;
  for (const char c : to.substr(0, 64)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

OutboxMailer::OutboxMailer(std::filesystem::path dir, std::string from)
    : dir_(std::move(dir)), from_(std::move(from)) {}

Result<void> OutboxMailer::send(std::string_view to, std::string_view subject,
                                std::string_view body) {
  const std::int64_t now = wall_ms();
  const auto from_addr = mail::address_of(from_);
  auto msg = mail::render(from_, to, subject, body, now,
                          mail::make_message_id(from_addr ? *from_addr : std::string()));
  if (!msg) return std::unexpected(std::move(msg.error()));

  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return fail(ErrorCode::IoError, "outbox: cannot create " + dir_.string() + ": " + ec.message());
  const std::uint64_t n = counter_.fetch_add(1) + 1;
  const std::string name = std::to_string(now) + "-" + std::to_string(n) + "-" + sanitize(to);
  const std::filesystem::path tmp = dir_ / ("." + name + ".tmp");
  const std::filesystem::path final_path = dir_ / (name + ".eml");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(msg->data(), static_cast<std::streamsize>(msg->size()));
    f.close();
    if (!f) {
      std::filesystem::remove(tmp, ec);
      return fail(ErrorCode::IoError, "outbox: cannot write " + tmp.string());
    }
  }
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    return fail(ErrorCode::IoError,
                "outbox: cannot rename to " + final_path.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace cx::auth
