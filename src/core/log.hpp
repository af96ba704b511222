#pragma once
// Structured logging: one JSON object per line on stderr.
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace karma::log {

enum class Level { trace, debug, info, warn, error, off };

void init(std::string_view level);
bool enabled(Level level);
void write(Level level, std::string_view message, boost::json::object fields = {});

inline void info(std::string_view m, boost::json::object f = {}) {
  write(Level::info, m, std::move(f));
}
inline void warn(std::string_view m, boost::json::object f = {}) {
  write(Level::warn, m, std::move(f));
}
inline void error(std::string_view m, boost::json::object f = {}) {
  write(Level::error, m, std::move(f));
}
inline void debug(std::string_view m, boost::json::object f = {}) {
  write(Level::debug, m, std::move(f));
}

}  // namespace karma::log
