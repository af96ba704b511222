#pragma once
// What other features may ask billing: which plan a user is on (devices, avatars and projects
// limits; the storage quota; paid avatars). Asked on the caller's connection, so a limit check
// and the write it guards see one state.
#include <memory>
#include <string>
#include <string_view>

namespace karma::db {
class Connection;
}

namespace karma::billing {

enum class Plan { free, pro, team, enterprise };

std::string_view plan_name(Plan plan);

class PlanDirectory {
 public:
  virtual ~PlanDirectory() = default;
  virtual Plan plan_of(db::Connection& c, const std::string& user_id) = 0;
};

// The plan of a user's active (or trialing) subscription, free without one.
std::unique_ptr<PlanDirectory> make_subscription_plans();

}  // namespace karma::billing
