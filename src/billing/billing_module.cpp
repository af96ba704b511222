#include "billing/billing_module.hpp"

#include <chrono>

#include "billing/billing_routes.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "jobs/scheduler.hpp"

namespace karma::billing {

namespace {

std::unique_ptr<CheckoutProvider> make_checkout(const Platform& platform,
                                                SubscriptionStore& customers) {
  const Config& config = platform.config;
  if (config.uses_stripe())
    return make_stripe_checkout({.api = {.api_base = config.stripe_api_base,
                                         .secret_key = config.stripe_secret_key,
                                         .timeout_ms = config.stripe_timeout_ms,
                                         .ca_file = config.s3_ca_file},
                                 .success_url = config.billing_success_url,
                                 .cancel_url = config.billing_cancel_url},
                                platform.db, customers);
  if (config.production()) return nullptr;  // no development checkout in production
  return make_development_checkout(config.secret_key);
}

}  // namespace

BillingModule::BillingModule(const Platform& platform, auth::UserDirectory& users)
    : platform_(platform),
      catalog_(platform.config.storage_quota_free_bytes, platform.config.plan_limit_overrides),
      plans_(make_subscription_plans(catalog_, platform.config.plan_limits_enforced())),
      checkout_(make_checkout(platform, customers_)),
      service_(platform.db, users, platform.bus, checkout_.get(),
               {.token_secret = platform.config.secret_key}) {
  if (checkout_ && !platform.config.uses_stripe())
    log::info("billing: development checkout (set STRIPE_SECRET_KEY for Stripe)");
}

void BillingModule::mount(http::Router& router, jobs::Scheduler& jobs) {
  const Config& config = platform_.config;
  mount_billing_routes(router, catalog_, service_,
                       {.webhook_secret = config.stripe_webhook_secret,
                        .development_checkout = checkout_ && !config.uses_stripe(),
                        .port = config.port,
                        .success_url = config.billing_success_url});
  jobs.every("end-lapsed-subscriptions", std::chrono::seconds(30), [this] {
    if (const auto ended = service_.end_lapsed(); ended > 0)
      log::info("subscriptions ended", {{"count", ended}});
  });
}

}  // namespace karma::billing
