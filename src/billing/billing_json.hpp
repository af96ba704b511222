#pragma once
// Subscriptions and plans as API.md §6 spells them (periods in epoch ms), their request bodies,
// and their OpenAPI schemas.
#include <boost/json/object.hpp>

#include <string>

#include "billing/plans.hpp"
#include "billing/subscription_store.hpp"

namespace karma::http {
class Components;
}

namespace karma::billing {

inline constexpr std::array<std::string_view, 2> kBillingCycles{"monthly", "yearly"};
inline constexpr std::array<std::string_view, 3> kPaidPlans{"pro", "team", "enterprise"};
inline constexpr std::array<std::string_view, 4> kSubscriptionStatuses{"active", "canceled",
                                                                       "past_due", "trialing"};

boost::json::object subscription_json(const SubscriptionRecord& s);
boost::json::object plans_json(const PlanCatalog& catalog);

struct NewSubscription {
  Plan plan = Plan::pro;
  std::string cycle;
};
NewSubscription parse_new_subscription(const boost::json::object& body);

void add_billing_schemas(http::Components& components);

}  // namespace karma::billing
