#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/json.hpp"

namespace karma::log {
namespace {

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_logger_mt("karma");
    l->set_pattern("%v");
    return l;
  }();
  return instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::trace:
      return spdlog::level::trace;
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
    case Level::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* level_name(Level level) {
  static constexpr const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
  return names[static_cast<int>(level)];
}

}  // namespace

void init(std::string_view level) {
  Level parsed = Level::info;
  for (int i = 0; i <= static_cast<int>(Level::off); ++i) {
    if (level == level_name(static_cast<Level>(i))) parsed = static_cast<Level>(i);
  }
  logger()->set_level(to_spdlog(parsed));
  logger()->flush_on(spdlog::level::warn);
}

bool enabled(Level level) {
  return logger()->should_log(to_spdlog(level));
}

void write(Level level, std::string_view message, boost::json::object fields) {
  if (!enabled(level)) return;
  boost::json::object line{
      {"ts", iso8601(now_ms())}, {"level", level_name(level)}, {"msg", message}};
  for (auto& field : fields) line[field.key()] = std::move(field.value());
  logger()->log(to_spdlog(level), "{}", json::serialize(line));
}

}  // namespace karma::log
