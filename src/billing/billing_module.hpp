#pragma once
// The billing feature. Today it answers which plan a user is on (from `subscriptions`);
// subscriptions, checkout and the Stripe webhook (API.md §6) will mount here.
#include <memory>

#include "billing/plans.hpp"
#include "platform/module.hpp"

namespace karma::billing {

class BillingModule final : public Module {
 public:
  explicit BillingModule(const Platform&) : plans_(make_subscription_plans()) {}
  PlanDirectory& plans() { return *plans_; }
  void mount(http::Router&, jobs::Scheduler&) override {}

 private:
  std::unique_ptr<PlanDirectory> plans_;
};

}  // namespace karma::billing
