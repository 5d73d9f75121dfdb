#pragma once
/// Identifiers and scalar domain types. Plain integers: they cross the hot path, so they stay
/// trivially copyable; the names say what each integer means.

#include <cstdint>

namespace cx {

using TraderId = std::uint32_t;       ///< dense index of a trader, assigned by the exchange
using MarketId = std::uint32_t;       ///< dense index of a market
using OrderId = std::uint64_t;        ///< engine-assigned; 0 means "none"
using ClientOrderId = std::uint64_t;  ///< trader-chosen, interned by the layer above; 0 = none
using Price = std::int64_t;           ///< units of the market's price scale
using Qty = std::int64_t;             ///< units of the market's quantity scale
using Amount = std::int64_t;          ///< units of an asset's scale
using Timestamp = std::int64_t;  ///< milliseconds since the Unix epoch, from the command stream
using SeqNo = std::uint64_t;     ///< sequence number assigned when a command is sequenced

}  // namespace cx
