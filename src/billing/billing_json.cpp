#include "billing/billing_json.hpp"

#include <boost/json/array.hpp>

#include "core/money.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

namespace karma::billing {

namespace bj = boost::json;

namespace {

bj::value limit_json(const std::optional<std::int64_t>& limit) {
  return limit ? bj::value(*limit) : bj::value(nullptr);
}

}  // namespace

bj::object subscription_json(const SubscriptionRecord& s) {
  bj::object out{{"id", s.id},
                 {"userId", s.user_id},
                 {"plan", plan_name(s.plan)},
                 {"status", s.status},
                 {"billingCycle", s.billing_cycle},
                 {"currentPeriodStart", s.period_start},
                 {"currentPeriodEnd", s.period_end},
                 {"cancelAtPeriodEnd", s.cancel_at_period_end}};
  if (s.stripe_subscription_id) out["stripeSubscriptionId"] = *s.stripe_subscription_id;
  if (s.stripe_customer_id) out["stripeCustomerId"] = *s.stripe_customer_id;
  return out;
}

bj::object plans_json(const PlanCatalog& catalog) {
  bj::array plans;
  for (const PlanOffer& offer : catalog.offers()) {
    plans.push_back(bj::object{
        {"id", plan_name(offer.plan)},
        {"name", offer.name},
        {"monthlyPrice", money(offer.monthly_cents)},
        {"yearlyPrice", money(offer.yearly_cents)},
        {"currency", PlanCatalog::kCurrency},
        {"limits", bj::object{{"devices", limit_json(offer.limits.devices)},
                              {"avatars", limit_json(offer.limits.avatars)},
                              {"projects", limit_json(offer.limits.projects)},
                              {"storageBytes", limit_json(offer.limits.storage_bytes)}}}});
  }
  return {{"plans", std::move(plans)}};
}

NewSubscription parse_new_subscription(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  const auto plan = fields.one_of("plan", kPaidPlans, true);
  const auto cycle = fields.one_of("billingCycle", kBillingCycles, true);
  violations.throw_if_any();
  return {*plan_named(*plan), *cycle};
}

void add_billing_schemas(http::Components& components) {
  using namespace http::schema;
  const auto limit = [] { return nullable(integer(0)); };
  components.add("Subscription", object({{"id", uuid()},
                                         {"userId", uuid()},
                                         {"plan", one_of(plan_names())},
                                         {"status", one_of(kSubscriptionStatuses)},
                                         {"billingCycle", one_of(kBillingCycles)},
                                         {"currentPeriodStart", epoch_ms()},
                                         {"currentPeriodEnd", epoch_ms()},
                                         {"cancelAtPeriodEnd", boolean()},
                                         {"stripeSubscriptionId", string()},
                                         {"stripeCustomerId", string()}},
                                        {"id", "userId", "plan", "status", "currentPeriodStart",
                                         "currentPeriodEnd", "cancelAtPeriodEnd"}));
  components.add(
      "Plan",
      object({{"id", one_of(plan_names())},
              {"name", string()},
              {"monthlyPrice", number(0)},
              {"yearlyPrice", number(0)},
              {"currency", string()},
              {"limits", described(object({{"devices", limit()},
                                           {"avatars", limit()},
                                           {"projects", limit()},
                                           {"storageBytes", limit()}},
                                          {"devices", "avatars", "projects", "storageBytes"}),
                                   "null: unlimited")}},
             {"id", "name", "monthlyPrice", "yearlyPrice", "currency", "limits"}));
  components.add("NewSubscription",
                 input({{"plan", one_of(kPaidPlans)}, {"billingCycle", one_of(kBillingCycles)}},
                       {"plan", "billingCycle"}));
}

}  // namespace karma::billing
