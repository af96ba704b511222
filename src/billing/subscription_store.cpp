#include "billing/subscription_store.hpp"

#include <string_view>

#include "db/sql.hpp"

namespace karma::billing {

using db::Timestamp;
using db::Value;

namespace {

constexpr std::string_view kColumns =
    "id, user_id, plan, status, billing_cycle, current_period_start, current_period_end, "
    "cancel_at_period_end, stripe_subscription_id, stripe_customer_id, stripe_event_created";

SubscriptionRecord subscription_of(db::Row& r) {
  SubscriptionRecord s;
  s.id = r.take_text(0);
  s.user_id = r.take_text(1);
  s.plan = plan_named(r.text(2)).value_or(Plan::free);
  s.status = r.take_text(3);
  s.billing_cycle = r.take_text(4);
  s.period_start = r.time(5);
  s.period_end = r.time(6);
  s.cancel_at_period_end = r.boolean(7);
  s.stripe_subscription_id = r.take_opt_text(8);
  s.stripe_customer_id = r.take_opt_text(9);
  s.stripe_event_created = r.integer(10);
  return s;
}

Value optional_text(const std::optional<std::string>& text) {
  return text ? Value(*text) : Value(nullptr);
}

std::optional<SubscriptionRecord> first_subscription(db::Result r) {
  if (r.empty()) return std::nullopt;
  return subscription_of(r.rows.front());
}

}  // namespace

std::optional<SubscriptionRecord> SubscriptionStore::find_by_user(db::Connection& c,
                                                                  const std::string& user_id,
                                                                  bool lock) {
  return first_subscription(c.query("SELECT " + std::string(kColumns) +
                                        " FROM subscriptions WHERE user_id = $1" +
                                        std::string(lock ? db::row_lock(c.dialect()) : ""),
                                    {user_id}));
}

std::optional<SubscriptionRecord> SubscriptionStore::find_by_stripe_id(
    db::Connection& c, const std::string& stripe_subscription_id) {
  return first_subscription(c.query("SELECT " + std::string(kColumns) +
                                        " FROM subscriptions WHERE stripe_subscription_id = $1" +
                                        std::string(db::row_lock(c.dialect())),
                                    {stripe_subscription_id}));
}

void SubscriptionStore::save(db::Connection& c, const SubscriptionRecord& s, EpochMs now) {
  c.query(
      "INSERT INTO subscriptions (id, user_id, plan, status, billing_cycle, current_period_start, "
      "current_period_end, cancel_at_period_end, stripe_subscription_id, stripe_customer_id, "
      "stripe_event_created, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) "
      "ON CONFLICT (user_id) DO UPDATE SET plan = excluded.plan, status = excluded.status, "
      "billing_cycle = excluded.billing_cycle, "
      "current_period_start = excluded.current_period_start, "
      "current_period_end = excluded.current_period_end, "
      "cancel_at_period_end = excluded.cancel_at_period_end, "
      "stripe_subscription_id = excluded.stripe_subscription_id, "
      "stripe_customer_id = excluded.stripe_customer_id, "
      "stripe_event_created = excluded.stripe_event_created, updated_at = excluded.updated_at",
      {s.id, s.user_id, std::string(plan_name(s.plan)), s.status, s.billing_cycle,
       Timestamp{s.period_start}, Timestamp{s.period_end}, s.cancel_at_period_end,
       optional_text(s.stripe_subscription_id), optional_text(s.stripe_customer_id),
       s.stripe_event_created, Timestamp{now}});
}

std::vector<std::pair<std::string, Plan>> SubscriptionStore::end_lapsed(db::Connection& c,
                                                                        EpochMs now,
                                                                        std::int64_t grace_ms) {
  const auto r = c.query(
      "UPDATE subscriptions SET status = 'canceled', cancel_at_period_end = false, "
      "updated_at = $1 WHERE status <> 'canceled' AND ((cancel_at_period_end AND "
      "current_period_end <= $1) OR current_period_end <= $2) RETURNING user_id, plan",
      {Timestamp{now}, Timestamp{now - grace_ms}});
  std::vector<std::pair<std::string, Plan>> out;
  for (const auto& row : r.rows)
    out.emplace_back(row.text(0), plan_named(row.text(1)).value_or(Plan::free));
  return out;
}

std::optional<std::string> SubscriptionStore::stripe_customer_of(db::Connection& c,
                                                                 const std::string& user_id) {
  const auto r =
      c.query("SELECT stripe_customer_id FROM billing_customers WHERE user_id = $1", {user_id});
  if (r.empty()) return std::nullopt;
  return r.first().text(0);
}

std::optional<std::string> SubscriptionStore::user_of_stripe_customer(
    db::Connection& c, const std::string& customer_id) {
  const auto r =
      c.query("SELECT user_id FROM billing_customers WHERE stripe_customer_id = $1", {customer_id});
  if (r.empty()) return std::nullopt;
  return r.first().text(0);
}

void SubscriptionStore::save_stripe_customer(db::Connection& c, const std::string& user_id,
                                             const std::string& customer_id, EpochMs now) {
  c.query(
      "INSERT INTO billing_customers (user_id, stripe_customer_id, created_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (user_id) DO NOTHING",
      {user_id, customer_id, Timestamp{now}});
}

void SubscriptionStore::insert_checkout(db::Connection& c, const CheckoutRecord& k) {
  c.query(
      "INSERT INTO billing_checkouts (id, user_id, plan, billing_cycle, provider, created_at, "
      "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {k.id, k.user_id, std::string(plan_name(k.plan)), k.billing_cycle, k.provider,
       Timestamp{k.created_at}, Timestamp{k.expires_at}});
}

std::optional<CheckoutRecord> SubscriptionStore::find_checkout(db::Connection& c,
                                                               const std::string& id) {
  auto r = c.query(
      "SELECT id, user_id, plan, billing_cycle, provider, created_at, expires_at, completed_at "
      "FROM billing_checkouts WHERE id = $1",
      {id});
  if (r.empty()) return std::nullopt;
  db::Row& row = r.rows.front();
  CheckoutRecord k;
  k.id = row.take_text(0);
  k.user_id = row.take_text(1);
  k.plan = plan_named(row.text(2)).value_or(Plan::pro);
  k.billing_cycle = row.take_text(3);
  k.provider = row.take_text(4);
  k.created_at = row.time(5);
  k.expires_at = row.time(6);
  k.completed_at = row.opt_time(7);
  return k;
}

void SubscriptionStore::delete_checkout(db::Connection& c, const std::string& id) {
  c.query("DELETE FROM billing_checkouts WHERE id = $1", {id});
}

void SubscriptionStore::set_checkout_session(db::Connection& c, const std::string& id,
                                             const std::string& session) {
  c.query("UPDATE billing_checkouts SET provider_session_id = $2 WHERE id = $1", {id, session});
}

std::vector<std::string> SubscriptionStore::open_sessions(db::Connection& c,
                                                          const std::string& user_id, EpochMs now) {
  const auto r = c.query(
      "SELECT provider_session_id FROM billing_checkouts WHERE user_id = $1 AND "
      "completed_at IS NULL AND expires_at > $2 AND provider_session_id IS NOT NULL",
      {user_id, Timestamp{now}});
  std::vector<std::string> sessions;
  for (const auto& row : r.rows) sessions.push_back(row.text(0));
  return sessions;
}

void SubscriptionStore::end_session(db::Connection& c, const std::string& session_id, EpochMs now) {
  c.query("UPDATE billing_checkouts SET expires_at = $2 WHERE provider_session_id = $1",
          {session_id, Timestamp{now}});
}

bool SubscriptionStore::complete_checkout(db::Connection& c, const std::string& id, EpochMs now) {
  return c.query(
              "UPDATE billing_checkouts SET completed_at = $2 WHERE id = $1 AND "
              "completed_at IS NULL AND expires_at > $2",
              {id, Timestamp{now}})
             .affected == 1;
}

bool SubscriptionStore::record_stripe_event(db::Connection& c, const std::string& id,
                                            const std::string& type, const std::string& payload,
                                            EpochMs now) {
  return c.query(
              "INSERT INTO stripe_events (id, type, payload, received_at, processed_at) "
              "VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING",
              {id, type, payload, Timestamp{now}})
             .affected == 1;
}

Plan SubscriptionStore::plan_of(db::Connection& c, const std::string& user_id) {
  const auto r = c.query(
      "SELECT plan FROM subscriptions WHERE user_id = $1 "
      "AND status IN ('active', 'trialing', 'past_due')",
      {user_id});
  if (r.empty()) return Plan::free;
  return plan_named(r.first().text(0)).value_or(Plan::free);
}

void SubscriptionStore::lock_plan_limits(db::Connection& c, const std::string& user_id) {
  if (c.dialect() == db::Dialect::postgres)
    c.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {"plan-limit:" + user_id});
}

}  // namespace karma::billing
