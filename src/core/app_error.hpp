#pragma once
// The one error type services throw. The HTTP layer maps it onto the contract's error envelope.
#include <boost/json/value.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace karma {

enum class ErrorCode {
  validation,             // 400 VALIDATION_ERROR
  unauthorized,           // 401 UNAUTHORIZED
  forbidden,              // 403 FORBIDDEN
  not_found,              // 404 NOT_FOUND
  method_not_allowed,     // 405 METHOD_NOT_ALLOWED
  conflict,               // 409 CONFLICT
  payload_too_large,      // 413 PAYLOAD_TOO_LARGE
  range_not_satisfiable,  // 416 RANGE_NOT_SATISFIABLE (downloads)
  rate_limited,           // 429 RATE_LIMIT_EXCEEDED
  internal,               // 500 INTERNAL_ERROR
  unavailable,            // 503 SERVICE_UNAVAILABLE
  storage_unavailable,    // 503 STORAGE_UNAVAILABLE (the blob store refused or is gone)
};

int http_status(ErrorCode code);
const char* code_name(ErrorCode code);

class AppError : public std::runtime_error {
 public:
  AppError(ErrorCode code, std::string message, boost::json::value details = nullptr);

  ErrorCode code() const { return code_; }
  const boost::json::value& details() const { return details_; }
  // Seconds a client should wait (rate limits); 0 when not applicable.
  int retry_after() const { return retry_after_; }
  AppError& with_retry_after(int seconds);

  // The error factories: each writes its code's `details` one way, everywhere.
  static AppError not_found(std::string what = "Resource");
  static AppError unauthorized(std::string message = "Authentication required");
  // 409 {field}: the field whose value is taken.
  static AppError conflict(std::string message, std::string_view field);
  // 400 "field: message" {field, message}: one input field is unusable.
  static AppError invalid(std::string_view field, std::string_view message);
  // 403 {limit}: the caller's plan allows no more (storage, devices, avatars, projects).
  static AppError plan_limit(std::string message, std::int64_t limit);
  // 413 {limit}: the body is larger than `limit` bytes.
  static AppError too_large(std::string message, std::int64_t limit);

 private:
  ErrorCode code_;
  boost::json::value details_;
  int retry_after_ = 0;
};

}  // namespace karma
