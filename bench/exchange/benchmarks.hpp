#pragma once
/// The exchange benchmarks (group `engine`): the exchange-core mix through accounts, collateral
/// and settlement; the same with the journal's group commit; recovery speed; snapshots.

namespace cx::bench::exchange {

void mix();
void journaled();
void replay();
void snapshot();
/// risk.mark_update: a mark move over 100,000 positions that liquidates 1% of them.
void mark_update();

}  // namespace cx::bench::exchange
