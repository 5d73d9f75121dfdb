#pragma once
/// `cxmpute audit <data-dir>`: loads the state in a data directory (newest valid snapshot plus
/// the journal after it, changing no file) and runs the conservation audit on it.

#include <span>
#include <string_view>

namespace cx::app {

/// Prints one JSON line: what was loaded and the audit's verdict. Returns 0 when the audit
/// passes, 1 when it finds problems or the directory cannot be loaded, 2 on a usage error.
int run_audit(std::span<const std::string_view> args);

}  // namespace cx::app
