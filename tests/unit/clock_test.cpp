#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace karma {
namespace {

TEST(Clock, Iso8601FormatsUtcWithMilliseconds) {
  EXPECT_EQ(iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601(1795623963111), "2026-11-25T16:26:03.111Z");
}

TEST(Clock, ParsesIsoAndPostgresForms) {
  EXPECT_EQ(parse_timestamp("2026-11-25T16:26:03.111Z"), 1795623963111);
  EXPECT_EQ(parse_timestamp("2026-11-25T16:26:03Z"), 1795623963000);
  EXPECT_EQ(parse_timestamp("2026-11-25 16:26:03.111456+00"), 1795623963111);
  EXPECT_EQ(parse_timestamp("2026-11-25T18:26:03.111+02:00"), 1795623963111);
  EXPECT_EQ(parse_timestamp("2026-11-25T16:26:03"), 1795623963000);
}

TEST(Clock, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2026", "2026-13-01T00:00:00Z", "2026-11-25X16:26:03Z",
                          "2026-11-25T16:26:03.Z", "2026-11-25T16:26:03Zjunk", "yesterday"})
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
}

TEST(Clock, RoundTrips) {
  for (EpochMs ms : {EpochMs(0), EpochMs(951782400000), now_ms()})
    EXPECT_EQ(parse_timestamp(iso8601(ms)), ms);
}

}  // namespace
}  // namespace karma
