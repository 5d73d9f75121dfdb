#pragma once
/// `cxmpute demo`: runs a CSV file of orders through one order book and prints what happened.

namespace cx::app {

/// Returns the process exit code: 0 on success, 1 if the file cannot be read.
int run_demo(const char* path);

}  // namespace cx::app
