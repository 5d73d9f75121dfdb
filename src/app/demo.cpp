#include "app/demo.hpp"

int cx::app::run_demo(const char*) { return 0; }
