#include <gtest/gtest.h>
#include "engine/order_book.hpp"
TEST(OrderBook, Compiles) {}
