#pragma once
// What other features may ask the auth feature about users: the names and pictures to show
// beside a member or a review, and whose an email is. Calls take the caller's connection.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karma::db {
class Connection;
}

namespace karma::auth {

struct UserProfile {
  std::string id;
  std::string name;
  std::optional<std::string> avatar;
};

class UserDirectory {
 public:
  virtual ~UserDirectory() = default;
  // The profiles of those of `ids` that exist, in no particular order; one statement.
  virtual std::vector<UserProfile> profiles(db::Connection& c,
                                            const std::vector<std::string>& ids) = 0;
  // The id of the user with this email (compared case-insensitively).
  virtual std::optional<std::string> id_of_email(db::Connection& c, std::string_view email) = 0;
};

}  // namespace karma::auth
