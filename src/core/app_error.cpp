#include "core/app_error.hpp"

#include <boost/json/object.hpp>

namespace karma {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::validation:
      return 400;
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::method_not_allowed:
      return 405;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::payload_too_large:
      return 413;
    case ErrorCode::range_not_satisfiable:
      return 416;
    case ErrorCode::rate_limited:
      return 429;
    case ErrorCode::internal:
      return 500;
    case ErrorCode::unavailable:
    case ErrorCode::storage_unavailable:
      return 503;
  }
  return 500;
}

const char* code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::validation:
      return "VALIDATION_ERROR";
    case ErrorCode::unauthorized:
      return "UNAUTHORIZED";
    case ErrorCode::forbidden:
      return "FORBIDDEN";
    case ErrorCode::not_found:
      return "NOT_FOUND";
    case ErrorCode::method_not_allowed:
      return "METHOD_NOT_ALLOWED";
    case ErrorCode::conflict:
      return "CONFLICT";
    case ErrorCode::payload_too_large:
      return "PAYLOAD_TOO_LARGE";
    case ErrorCode::range_not_satisfiable:
      return "RANGE_NOT_SATISFIABLE";
    case ErrorCode::rate_limited:
      return "RATE_LIMIT_EXCEEDED";
    case ErrorCode::internal:
      return "INTERNAL_ERROR";
    case ErrorCode::unavailable:
      return "SERVICE_UNAVAILABLE";
    case ErrorCode::storage_unavailable:
      return "STORAGE_UNAVAILABLE";
  }
  return "INTERNAL_ERROR";
}

AppError::AppError(ErrorCode code, std::string message, boost::json::value details)
    : std::runtime_error(std::move(message)), code_(code), details_(std::move(details)) {}

AppError& AppError::with_retry_after(int seconds) {
  retry_after_ = seconds;
  return *this;
}

AppError AppError::not_found(std::string what) {
  return AppError(ErrorCode::not_found, what + " not found");
}

AppError AppError::unauthorized(std::string message) {
  return AppError(ErrorCode::unauthorized, std::move(message));
}

AppError AppError::conflict(std::string message, std::string_view field) {
  return AppError(ErrorCode::conflict, std::move(message), boost::json::object{{"field", field}});
}

AppError AppError::invalid(std::string_view field, std::string_view message) {
  std::string text;
  text.reserve(field.size() + 2 + message.size());
  text.append(field).append(": ").append(message);
  return AppError(ErrorCode::validation, std::move(text),
                  boost::json::object{{"field", field}, {"message", message}});
}

AppError AppError::plan_limit(std::string message, std::int64_t limit) {
  return AppError(ErrorCode::forbidden, std::move(message), boost::json::object{{"limit", limit}});
}

AppError AppError::too_large(std::string message, std::int64_t limit) {
  return AppError(ErrorCode::payload_too_large, std::move(message),
                  boost::json::object{{"limit", limit}});
}

}  // namespace karma
