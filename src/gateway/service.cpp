#include "gateway/service.hpp"

#include <array>

namespace cx::gateway {

namespace {

constexpr std::array<std::string_view, kServiceCount> kNames = {
    "chat", "embeddings", "image", "video", "tts", "scrape", "caption", "detect", "point", "query",
};

}  // namespace

std::string_view to_string(Service s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

std::optional<Service> service_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Service>(i);
  return std::nullopt;
}

}  // namespace cx::gateway
