#pragma once
// The contract's envelopes and JSON body parsing.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace karma {

class AppError;

namespace json {

// {"success":true,"data":<data>,"timestamp":<ms>}
std::string success_envelope(const boost::json::value& data);
// The same around `data_json`, JSON text the caller wrote (hot paths that skip the DOM).
std::string success_envelope_text(std::string_view data_json);
// {"success":false,"error":{"code","message","details"?},"timestamp":<ms>}
std::string error_envelope(const AppError& error);

// Parses a request body that must be a JSON object; throws VALIDATION_ERROR otherwise.
boost::json::object parse_object(std::string_view body);

// Compact JSON text of `v`; doubles in their shortest round-trip form ("12.5", not "1.25E1"),
// non-finite ones as null, malformed UTF-8 as U+FFFD. Always strict JSON, unlike
// boost::json::serialize — which an unqualified serialize(object) finds by ADL: qualify calls.
std::string serialize(const boost::json::value& v);
std::string serialize(const boost::json::object& object);
std::string serialize(const boost::json::array& array);
// Appends `text` as a JSON string literal, quoted and escaped.
void append_quoted(std::string& out, std::string_view text);

}  // namespace json
}  // namespace karma
