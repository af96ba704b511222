#pragma once
// Time is epoch milliseconds everywhere inside; the JSON layer picks the contract's format.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace karma {

using EpochMs = std::int64_t;

EpochMs now_ms();
// "2026-11-25T06:34:31.123Z"
std::string iso8601(EpochMs ms);
// Accepts ISO-8601 / RFC 3339 ("2026-11-25T06:34:31Z", with optional fraction and offset) and
// PostgreSQL's text form ("2026-11-25 06:34:31.123456+00").
std::optional<EpochMs> parse_timestamp(std::string_view text);

}  // namespace karma
