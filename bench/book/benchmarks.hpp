#pragma once
/// The order book benchmarks (group `book`). Each prints one BENCH line (bench/README.md).

namespace cx::bench::book {

void liquibook_stream();
void exchange_core_mix();
void memory();

}  // namespace cx::bench::book
