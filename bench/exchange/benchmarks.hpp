#pragma once
/// The exchange benchmarks (group `engine`): the exchange-core mix through accounts, collateral
/// and settlement; the same with the journal's group commit; recovery speed; snapshots.

namespace cx::bench::exchange {

void mix();
void journaled();
void replay();
void snapshot();

}  // namespace cx::bench::exchange
