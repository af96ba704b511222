#include "core/clock.hpp"

#include <chrono>
#include <cstdio>

namespace karma {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool read_digits(std::string_view s, std::size_t& pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  pos += count;
  return true;
}

}  // namespace

EpochMs now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso8601(EpochMs ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{ms}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) {  // outside what four digits hold: the slow, general way
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year,
                  unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                  int(hms.minutes().count()), int(hms.seconds().count()),
                  int(hms.subseconds().count()));
    return buf;
  }
  // Hand-written digits: every project, task and avatar time goes through here (snprintf was a
  // tenth of the project list's time).
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&out](std::size_t at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) out[at + i] = char('0' + value % 10);
  };
  put(0, unsigned(year), 4);
  put(5, unsigned(ymd.month()), 2);
  put(8, unsigned(ymd.day()), 2);
  put(11, unsigned(hms.hours().count()), 2);
  put(14, unsigned(hms.minutes().count()), 2);
  put(17, unsigned(hms.seconds().count()), 2);
  put(20, unsigned(hms.subseconds().count()), 3);
  return out;
}

std::optional<EpochMs> parse_timestamp(std::string_view s) {
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!read_digits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!read_digits(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!read_digits(s, pos, 2, day) || pos >= s.size()) return std::nullopt;
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  if (!read_digits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':') return std::nullopt;
  if (!read_digits(s, pos, 2, minute) || pos >= s.size() || s[pos++] != ':') return std::nullopt;
  if (!read_digits(s, pos, 2, second)) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (pos < s.size()) {
    char sign = s[pos++];
    if (sign == 'Z' || sign == 'z') {
      if (pos != s.size()) return std::nullopt;
    } else if (sign == '+' || sign == '-') {
      int oh = 0, om = 0;
      if (!read_digits(s, pos, 2, oh)) return std::nullopt;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (pos < s.size() && !read_digits(s, pos, 2, om)) return std::nullopt;
      if (pos != s.size()) return std::nullopt;
      offset_minutes = (oh * 60 + om) * (sign == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  const std::int64_t days = days_from_civil(year, unsigned(month), unsigned(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

}  // namespace karma
