#pragma once
// Subscriptions (API.md §6): the current one, starting a checkout, cancelling at the period's
// end, and the two ways a plan becomes active — a Stripe event, or the development checkout's
// confirmation — which both end in the same activate step.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "billing/checkout.hpp"
#include "billing/subscription_store.hpp"
#include "core/caller.hpp"
#include "realtime/event_bus.hpp"

namespace karma::auth {
class UserDirectory;
}
namespace karma::db {
class Database;
}

namespace karma::billing {

struct StripeEvent;

struct BillingSettings {
  std::string token_secret;                       // signs development checkout tokens
  std::int64_t checkout_ttl_ms = 60 * 60 * 1000;  // a started checkout stays open this long
  // A subscription whose period ended this long ago without a renewal (a missed webhook, a
  // development subscription) ends.
  std::int64_t renewal_grace_ms = 3LL * 24 * 60 * 60 * 1000;
};

// A checkout as the development page shows it.
struct DevelopmentCheckout {
  CheckoutRecord checkout;
  bool open = false;  // neither completed nor expired
};

enum class EventOutcome { applied, duplicate, stale, ignored };
std::string_view outcome_name(EventOutcome outcome);

class SubscriptionService {
 public:
  // `provider` null: billing is not configured (production without Stripe) → 503.
  SubscriptionService(db::Database& db, auth::UserDirectory& users, realtime::EventBus& bus,
                      CheckoutProvider* provider, BillingSettings settings);

  // The caller's subscription; empty while they are on free.
  std::optional<SubscriptionRecord> current(const Caller& caller);
  // Starts a checkout for `plan` (not free) and `cycle`: the URL to send the user to.
  std::string start_checkout(const Caller& caller, Plan plan, const std::string& cycle,
                             std::string_view server_origin);
  SubscriptionRecord cancel(const Caller& caller);

  // The development checkout: what a token names (404 for a token that names nothing), and its
  // confirmation, which activates the plan once.
  DevelopmentCheckout development_checkout(std::string_view token);
  SubscriptionRecord confirm_development_checkout(std::string_view token);

  // A verified Stripe event's raw body; idempotent by event id, never rolls a newer state back.
  EventOutcome apply_stripe_event(std::string_view payload);

  // Ends lapsed subscriptions (the job); the number ended.
  std::int64_t end_lapsed();

 private:
  // A plan that started or ended for a user, announced once its transaction committed.
  struct PlanChange {
    std::string user_id;
    Plan plan = Plan::free;
    bool started = false;
  };
  CheckoutProvider& provider();
  EventOutcome apply(db::Connection& c, const StripeEvent& e, std::optional<PlanChange>& change);
  void announce(const PlanChange& change);

  db::Database& db_;
  auth::UserDirectory& users_;
  realtime::EventBus& bus_;
  CheckoutProvider* provider_;
  BillingSettings settings_;
  SubscriptionStore store_;
};

// The end of a period of `cycle` (monthly: the same day next month, clamped to its last day;
// yearly: next year) from `start`.
EpochMs period_end_after(EpochMs start, std::string_view cycle);

}  // namespace karma::billing
