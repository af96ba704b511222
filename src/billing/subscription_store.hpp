#pragma once
// SQL of subscriptions, checkouts, Stripe customers and the Stripe events already applied.
// Every call takes the connection it runs on, so the service decides what shares a
// transaction.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/plans.hpp"
#include "core/clock.hpp"
#include "db/database.hpp"

namespace karma::billing {

struct SubscriptionRecord {
  std::string id;
  std::string user_id;
  Plan plan = Plan::free;
  std::string status = "active";  // active | canceled | past_due | trialing
  std::string billing_cycle = "monthly";
  EpochMs period_start = 0;
  EpochMs period_end = 0;
  bool cancel_at_period_end = false;
  std::optional<std::string> stripe_subscription_id;
  std::optional<std::string> stripe_customer_id;
  std::int64_t stripe_event_created = 0;  // seconds
};

struct CheckoutRecord {
  std::string id;
  std::string user_id;
  Plan plan = Plan::pro;
  std::string billing_cycle = "monthly";
  std::string provider;  // "stripe" | "development"
  std::optional<std::string> provider_session_id;
  EpochMs created_at = 0;
  EpochMs expires_at = 0;
  std::optional<EpochMs> completed_at;
};

class SubscriptionStore {
 public:
  std::optional<SubscriptionRecord> find_by_user(db::Connection& c, const std::string& user_id,
                                                 bool lock = false);
  // The plan the user pays for now (free without a live subscription). past_due keeps the plan
  // while Stripe retries the payment; it ends with the subscription.
  Plan plan_of(db::Connection& c, const std::string& user_id);
  // Holds the user's plan-limit lock until `c`'s transaction ends. SQLite's write transactions
  // already run one at a time; PostgreSQL's wait here for the user's other creates to commit,
  // so each counts what the one before it inserted.
  void lock_plan_limits(db::Connection& c, const std::string& user_id);
  std::optional<SubscriptionRecord> find_by_stripe_id(db::Connection& c,
                                                      const std::string& stripe_subscription_id);
  // Inserts the user's subscription or replaces the one they have (one per user).
  void save(db::Connection& c, const SubscriptionRecord& s, EpochMs now);
  // Ends what is over at `now`: a subscription cancelled at its period's end, or one whose
  // period ended `grace_ms` ago without a renewal. Whose ended, and their plans.
  std::vector<std::pair<std::string, Plan>> end_lapsed(db::Connection& c, EpochMs now,
                                                       std::int64_t grace_ms);

  std::optional<std::string> stripe_customer_of(db::Connection& c, const std::string& user_id);
  std::optional<std::string> user_of_stripe_customer(db::Connection& c,
                                                     const std::string& customer_id);
  void save_stripe_customer(db::Connection& c, const std::string& user_id,
                            const std::string& customer_id, EpochMs now);

  void insert_checkout(db::Connection& c, const CheckoutRecord& checkout);
  std::optional<CheckoutRecord> find_checkout(db::Connection& c, const std::string& id);
  void delete_checkout(db::Connection& c, const std::string& id);
  void set_checkout_session(db::Connection& c, const std::string& id, const std::string& session);
  // The provider sessions of `user_id`'s checkouts still open at `now`.
  std::vector<std::string> open_sessions(db::Connection& c, const std::string& user_id,
                                         EpochMs now);
  // The checkout of a session the provider has closed ends at `now`.
  void end_session(db::Connection& c, const std::string& session_id, EpochMs now);
  // Marks an open, unexpired checkout completed; false when it was not (used, expired).
  bool complete_checkout(db::Connection& c, const std::string& id, EpochMs now);

  // Records a Stripe event as applied; false when it was already.
  bool record_stripe_event(db::Connection& c, const std::string& id, const std::string& type,
                           const std::string& payload, EpochMs now);
};

}  // namespace karma::billing
