#pragma once
// JSON Patch (RFC 6902) over Boost.JSON: the shared state's deltas (STATE_DELTA) are made by
// `diff` and must replay with `apply_patch` — and with any client's RFC 6902 library — over the
// snapshot they follow.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace karma::agent {

struct PatchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `doc` with `patch` applied: add, remove, replace, move, copy, test. Throws PatchError (on a
// malformed operation, a path that does not resolve, a failed test); `doc` is never changed.
boost::json::value apply_patch(const boost::json::value& doc, const boost::json::array& patch);

// A patch turning `from` into `to`: objects are compared member by member (add, remove,
// replace, recursively), anything else is replaced whole when it differs. Empty when equal.
boost::json::array diff(const boost::json::value& from, const boost::json::value& to);

// One reference token of a JSON Pointer (RFC 6901): "~" → "~0", "/" → "~1".
std::string pointer_token(std::string_view key);

// RFC 6902 equality: numbers compare by value (1 == 1.0), objects ignore member order.
bool json_equal(const boost::json::value& a, const boost::json::value& b);

}  // namespace karma::agent
