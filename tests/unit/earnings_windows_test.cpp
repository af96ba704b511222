#include <gtest/gtest.h>

#include "avatars/avatar_store.hpp"
#include "core/clock.hpp"

namespace karma::avatars {
namespace {

EpochMs at(const char* iso) {
  return *parse_timestamp(iso);
}

// Earnings are summed over UTC days, ISO weeks (from Monday) and calendar months.
TEST(EarningsWindows, StartAtMidnightMondayAndTheFirstOfTheMonthUtc) {
  const auto tuesday = EarningsWindows::at(at("2026-12-01T14:30:00Z"));
  EXPECT_EQ(tuesday.today, at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(tuesday.week, at("2026-11-30T00:00:00Z"));
  EXPECT_EQ(tuesday.month, at("2026-12-01T00:00:00Z"));

  const auto sunday = EarningsWindows::at(at("2026-11-29T23:59:59.999Z"));
  EXPECT_EQ(sunday.today, at("2026-11-29T00:00:00Z"));
  EXPECT_EQ(sunday.week, at("2026-11-23T00:00:00Z"));
  EXPECT_EQ(sunday.month, at("2026-11-01T00:00:00Z"));

  // A week that began in the previous year.
  const auto new_year = EarningsWindows::at(at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(new_year.today, at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(new_year.week, at("2026-12-28T00:00:00Z"));
  EXPECT_EQ(new_year.month, at("2027-01-01T00:00:00Z"));

  const auto monday = EarningsWindows::at(at("2024-02-29T08:00:00Z"));  // a Thursday, leap day
  EXPECT_EQ(monday.week, at("2024-02-26T00:00:00Z"));
  EXPECT_EQ(monday.month, at("2024-02-01T00:00:00Z"));
}

}  // namespace
}  // namespace karma::avatars
