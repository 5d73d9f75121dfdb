#pragma once
/// The services the gateway sells. Their names are part of the public API (URLs, JSON, the
/// read store): append only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cx::gateway {

enum class Service : std::uint8_t {
  Chat,
  Embeddings,
  Image,
  Video,
  Tts,
  Scrape,
  Caption,
  Detect,
  Point,
  Query,
};

/// Number of services; `static_cast<std::size_t>(s) < kServiceCount` for every Service.
inline constexpr std::size_t kServiceCount = 10;

/// "chat", "embeddings", "image", "video", "tts", "scrape", "caption", "detect", "point",
/// "query".
[[nodiscard]] std::string_view to_string(Service s) noexcept;

/// The inverse of to_string (exact, case-sensitive); nullopt for anything else.
[[nodiscard]] std::optional<Service> service_from_string(std::string_view name) noexcept;

}  // namespace cx::gateway
