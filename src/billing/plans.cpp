#include "billing/plans.hpp"

#include "db/database.hpp"

namespace karma::billing {
namespace {

class SubscriptionPlans final : public PlanDirectory {
 public:
  Plan plan_of(db::Connection& c, const std::string& user_id) override {
    const auto r = c.query(
        "SELECT plan FROM subscriptions WHERE user_id = $1 AND status IN ('active', 'trialing') "
        "ORDER BY created_at DESC LIMIT 1",
        {user_id});
    if (r.empty()) return Plan::free;
    const std::string plan = r.first().text(0);
    for (Plan p : {Plan::pro, Plan::team, Plan::enterprise})
      if (plan == plan_name(p)) return p;
    return Plan::free;
  }
};

}  // namespace

std::string_view plan_name(Plan plan) {
  switch (plan) {
    case Plan::free:
      return "free";
    case Plan::pro:
      return "pro";
    case Plan::team:
      return "team";
    case Plan::enterprise:
      return "enterprise";
  }
  return "free";
}

std::unique_ptr<PlanDirectory> make_subscription_plans() {
  return std::make_unique<SubscriptionPlans>();
}

}  // namespace karma::billing
