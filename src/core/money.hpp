#pragma once
// Money is kept in cents and shown as the contract's number of currency units.
#include <cstdint>

namespace karma {

inline double money(std::int64_t cents) {
  return static_cast<double>(cents) / 100.0;
}

}  // namespace karma
