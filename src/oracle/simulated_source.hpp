#pragma once
/// Simulated prices for demos and PAPER: a seeded random walk per underlying, one step per poll
/// (each step moves a price by a uniform random amount within +-0.05%). Integer arithmetic and
/// splitmix64, so a seed gives the same walk everywhere.

#include <cstdint>
#include <map>
#include <string>

#include "oracle/source.hpp"

namespace cx::oracle {

class SimulatedSource final : public Source {
 public:
  /// `start`: underlying -> first price (10^-8 units, > 0).
  SimulatedSource(std::uint64_t seed, std::map<std::string, std::int64_t> start);

  const std::string& name() const noexcept override { return name_; }
  /// One step of the walk; every underlying is quoted at `now`.
  Result<std::vector<Quote>> poll(Timestamp now) override;
  /// Continues the walk of `underlying` from `price` (e.g. the exchange's last index after a
  /// restart). Adds the underlying if it is new.
  void resume(const std::string& underlying, std::int64_t price);

 private:
  std::uint64_t next() noexcept;

  std::string name_ = "simulated";
  std::uint64_t rng_;
  std::map<std::string, std::int64_t> prices_;
};

}  // namespace cx::oracle
