#include "core/json.hpp"

#include "core/app_error.hpp"
#include "core/clock.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace karma::json {

namespace bj = boost::json;

std::string success_envelope(const bj::value& data) {
  std::string out = "{\"success\":true,\"data\":";
  out += bj::serialize(data);
  out += ",\"timestamp\":";
  out += std::to_string(now_ms());
  out += '}';
  return out;
}

std::string error_envelope(const AppError& error) {
  bj::object err{{"code", code_name(error.code())}, {"message", error.what()}};
  if (!error.details().is_null()) err["details"] = error.details();
  bj::object body{{"success", false}, {"error", std::move(err)}, {"timestamp", now_ms()}};
  return bj::serialize(body);
}

bj::object parse_object(std::string_view body) {
  if (body.empty()) {
    throw AppError(ErrorCode::validation, "Request body must be a JSON object");
  }
  boost::system::error_code ec;
  bj::parse_options options;
  options.max_depth = 64;
  bj::value value = bj::parse(body, ec, {}, options);
  if (ec) {
    throw AppError(ErrorCode::validation, "Malformed JSON body",
                   bj::object{{"reason", ec.message()}});
  }
  if (!value.is_object()) {
    throw AppError(ErrorCode::validation, "Request body must be a JSON object");
  }
  return std::move(value.as_object());
}

std::string serialize(const bj::value& v) {
  return bj::serialize(v);
}

}  // namespace karma::json
