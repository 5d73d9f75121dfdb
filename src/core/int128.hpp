#pragma once
/// 128-bit integers for money products (g++ extension; named once so -Wpedantic stays on).

namespace cx {
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;
}  // namespace cx
