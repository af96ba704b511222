#pragma once
// The billing feature (API.md §6): plans and their limits — the PlanDirectory devices, files,
// avatars and projects ask —, subscriptions, the checkout (Stripe, or the development page) and
// the Stripe webhook, plus the job that ends lapsed subscriptions.
#include <memory>

#include "billing/checkout.hpp"
#include "billing/plans.hpp"
#include "billing/subscription_service.hpp"
#include "platform/module.hpp"

namespace karma::auth {
class UserDirectory;
}

namespace karma::billing {

class BillingModule final : public Module {
 public:
  BillingModule(const Platform& platform, auth::UserDirectory& users);
  PlanDirectory& plans() { return *plans_; }
  SubscriptionService& subscriptions() { return service_; }
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  const Platform& platform_;
  PlanCatalog catalog_;
  std::unique_ptr<PlanDirectory> plans_;
  SubscriptionStore customers_;
  std::unique_ptr<CheckoutProvider> checkout_;
  SubscriptionService service_;
};

}  // namespace karma::billing
