#pragma once
// Who is making a request. Services take a Caller and enforce visibility with it.
#include <string>

namespace karma {

struct Caller {
  std::string user_id;
  std::string role;  // "user" | "admin"
  bool is_admin() const { return role == "admin"; }
};

}  // namespace karma
