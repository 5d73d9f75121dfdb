// Service names: the public spelling and its inverse.

#include "gateway/service.hpp"

#include <gtest/gtest.h>

namespace cx::gateway {
namespace {

TEST(Service, NamesRoundTrip) {
  const Service all[] = {Service::Chat,  Service::Embeddings, Service::Image,   Service::Video,
                         Service::Tts,   Service::Scrape,     Service::Caption, Service::Detect,
                         Service::Point, Service::Query};
  static_assert(std::size(all) == kServiceCount);
  for (Service s : all) EXPECT_EQ(service_from_string(to_string(s)), s) << to_string(s);
}

TEST(Service, PublicSpelling) {
  EXPECT_EQ(to_string(Service::Chat), "chat");
  EXPECT_EQ(to_string(Service::Embeddings), "embeddings");
  EXPECT_EQ(to_string(Service::Tts), "tts");
  EXPECT_EQ(to_string(Service::Query), "query");
}

TEST(Service, UnknownNamesAreRefused) {
  EXPECT_FALSE(service_from_string(""));
  EXPECT_FALSE(service_from_string("Chat"));
  EXPECT_FALSE(service_from_string("chat "));
  EXPECT_FALSE(service_from_string("completions"));
}

}  // namespace
}  // namespace cx::gateway
