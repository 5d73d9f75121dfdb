// Daily counters in ordered maps keyed so that each view is one range scan:
// (user, day), (day, service, model), (provider, day).

#include <algorithm>
#include <chrono>
#include <limits>
#include <tuple>

#include "gateway/usage.hpp"

namespace cx::gateway {

namespace {

void sat_add(std::int64_t& acc, std::int64_t v) noexcept {
  if (__builtin_add_overflow(acc, v, &acc))
    acc =
        v > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

void sat_inc(std::uint64_t& acc, std::uint64_t v) noexcept {
  if (__builtin_add_overflow(acc, v, &acc)) acc = std::numeric_limits<std::uint64_t>::max();
}

std::string pad(std::int64_t v, std::size_t width) {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  if (v < 0) s.insert(0, 1, '-');
  return s;
}

/// (id, day) keys: a user's or a provider's days.
struct IdDay {
  std::string id;
  std::int64_t day = 0;
};
struct IdDayView {
  std::string_view id;
  std::int64_t day = 0;
};
struct IdDayLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return std::pair<std::string_view, std::int64_t>(a.id, a.day) <
           std::pair<std::string_view, std::int64_t>(b.id, b.day);
  }
};

struct ModelKey {
  std::int64_t day = 0;
  Service service = Service::Chat;
  std::string model;
};
struct ModelKeyView {
  std::int64_t day = 0;
  Service service = Service::Chat;
  std::string_view model;
};
struct ModelKeyLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return std::tuple<std::int64_t, Service, std::string_view>(a.day, a.service, a.model) <
           std::tuple<std::int64_t, Service, std::string_view>(b.day, b.service, b.model);
  }
};

using IdDayMap = std::map<IdDay, UsageCounters, IdDayLess>;

template <class Map, class Key, class View, class Make>
UsageCounters& slot(Map& m, const View& view, Make make) {
  auto it = m.find(view);
  if (it == m.end()) it = m.emplace(make(), UsageCounters{}).first;
  return it->second;
}

/// Visits the entries of `id` with from <= day <= to.
template <class F>
void scan(const IdDayMap& m, std::string_view id, std::int64_t from, std::int64_t to, F f) {
  for (auto it = m.lower_bound(IdDayView{id, from}); it != m.end(); ++it) {
    if (it->first.id != id || it->first.day > to) break;
    f(it->first, it->second);
  }
}

}  // namespace

std::string format_day(std::int64_t day) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{day}}};
  std::string s = pad(static_cast<int>(ymd.year()), 4);
  s.append("-")
      .append(pad(static_cast<unsigned>(ymd.month()), 2))
      .append("-")
      .append(pad(static_cast<unsigned>(ymd.day()), 2));
  return s;
}

void UsageCounters::add(const UsageRecord& r) noexcept {
  sat_inc(requests, 1);
  if (r.status < 200 || r.status >= 400) sat_inc(errors, 1);
  if (r.cut_short) sat_inc(cut_short, 1);
  sat_add(input_tokens, r.usage.input_tokens);
  sat_add(output_tokens, r.usage.output_tokens);
  sat_add(images, r.usage.images);
  sat_add(media_ms, r.usage.media_ms);
  sat_add(cost, r.cost);
  sat_add(provider_share, r.provider_share);
  sat_add(platform_fee, r.platform_fee);
  sat_add(latency_sum_us, r.latency_us);
  latency_max_us = std::max(latency_max_us, r.latency_us);
}

void UsageCounters::add(const UsageCounters& c) noexcept {
  sat_inc(requests, c.requests);
  sat_inc(errors, c.errors);
  sat_inc(cut_short, c.cut_short);
  sat_add(input_tokens, c.input_tokens);
  sat_add(output_tokens, c.output_tokens);
  sat_add(images, c.images);
  sat_add(media_ms, c.media_ms);
  sat_add(cost, c.cost);
  sat_add(provider_share, c.provider_share);
  sat_add(platform_fee, c.platform_fee);
  sat_add(latency_sum_us, c.latency_sum_us);
  latency_max_us = std::max(latency_max_us, c.latency_max_us);
}

struct UsageStats::Maps {
  IdDayMap users;
  IdDayMap providers;
  std::map<ModelKey, UsageCounters, ModelKeyLess> models;

  void add(const UsageRecord& r) {
    const std::int64_t day = day_of(r.ts_ms);
    slot<IdDayMap, IdDay>(users, IdDayView{r.user_id, day}, [&] {
      return IdDay{r.user_id, day};
    }).add(r);
    if (!r.provider_id.empty())
      slot<IdDayMap, IdDay>(providers, IdDayView{r.provider_id, day}, [&] {
        return IdDay{r.provider_id, day};
      }).add(r);
    slot<decltype(models), ModelKey>(models, ModelKeyView{day, r.service, r.model}, [&] {
      return ModelKey{day, r.service, r.model};
    }).add(r);
  }
};

UsageStats::UsageStats() : maps_(std::make_unique<Maps>()) {}
UsageStats::~UsageStats() = default;

void UsageStats::add(const UsageRecord& record) {
  std::lock_guard lock(mu_);
  maps_->add(record);
}

void UsageStats::add(std::span<const UsageRecord> records) {
  std::lock_guard lock(mu_);
  for (const UsageRecord& r : records) maps_->add(r);
}

std::vector<UserDay> UsageStats::user_days(std::string_view user_id, std::int64_t from_day,
                                           std::int64_t to_day) const {
  std::vector<UserDay> out;
  std::lock_guard lock(mu_);
  scan(maps_->users, user_id, from_day, to_day, [&](const IdDay& k, const UsageCounters& c) {
    out.push_back(UserDay{k.day, k.id, c});
  });
  return out;
}

std::vector<ProviderDay> UsageStats::provider_days(std::string_view provider_id,
                                                   std::int64_t from_day,
                                                   std::int64_t to_day) const {
  std::vector<ProviderDay> out;
  std::lock_guard lock(mu_);
  scan(maps_->providers, provider_id, from_day, to_day,
       [&](const IdDay& k, const UsageCounters& c) {
         out.push_back(ProviderDay{k.day, k.id, c});
       });
  return out;
}

UsageCounters UsageStats::user_total(std::string_view user_id, std::int64_t from_day,
                                     std::int64_t to_day) const {
  UsageCounters total;
  std::lock_guard lock(mu_);
  scan(maps_->users, user_id, from_day, to_day,
       [&](const IdDay&, const UsageCounters& c) { total.add(c); });
  return total;
}

std::vector<ModelDay> UsageStats::model_days(std::int64_t from_day, std::int64_t to_day) const {
  std::vector<ModelDay> out;
  std::lock_guard lock(mu_);
  for (auto it = maps_->models.lower_bound(ModelKeyView{from_day, Service::Chat, {}});
       it != maps_->models.end() && it->first.day <= to_day; ++it)
    out.push_back(ModelDay{it->first.day, it->first.service, it->first.model, it->second});
  return out;
}

void UsageStats::prune_before(std::int64_t day) {
  std::lock_guard lock(mu_);
  std::erase_if(maps_->users, [day](const auto& kv) { return kv.first.day < day; });
  std::erase_if(maps_->providers, [day](const auto& kv) { return kv.first.day < day; });
  maps_->models.erase(maps_->models.begin(),
                      maps_->models.lower_bound(ModelKeyView{day, Service::Chat, {}}));
}

}  // namespace cx::gateway
