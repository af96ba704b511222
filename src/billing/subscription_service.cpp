#include "billing/subscription_service.hpp"

#include <chrono>

#include "auth/user_directory.hpp"
#include "billing/stripe_webhook.hpp"
#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "db/database.hpp"

namespace karma::billing {

namespace {

constexpr const char* kNoCheckout = "Checkout";

bool ended(const SubscriptionRecord& s) {
  return s.status == "canceled";
}

// The state a subscription moves to: the one the user has, or a new one.
SubscriptionRecord successor(const std::optional<SubscriptionRecord>& current,
                             const std::string& user_id) {
  if (current) return *current;
  SubscriptionRecord s;
  s.id = crypto::uuid_v4();
  s.user_id = user_id;
  return s;
}

// A plan becomes active for a fresh period: what the development checkout's confirmation and a
// completed Stripe checkout both do.
void activate(SubscriptionRecord& s, const PlanPrice& price, EpochMs now) {
  s.plan = price.plan;
  s.billing_cycle = price.cycle;
  s.status = "active";
  s.period_start = now;
  s.period_end = period_end_after(now, price.cycle);
  s.cancel_at_period_end = false;
}

AppError unknown_in_event(std::string_view what) {
  return AppError(ErrorCode::validation, "Stripe event for " + std::string(what));
}

}  // namespace

std::string_view outcome_name(EventOutcome outcome) {
  switch (outcome) {
    case EventOutcome::applied:
      return "applied";
    case EventOutcome::duplicate:
      return "duplicate";
    case EventOutcome::stale:
      return "stale";
    case EventOutcome::ignored:
      return "ignored";
  }
  return "ignored";
}

EpochMs period_end_after(EpochMs start, std::string_view cycle) {
  using namespace std::chrono;
  const sys_time<milliseconds> at{milliseconds(start)};
  const sys_days day = floor<days>(at);
  const milliseconds time_of_day = at - day;
  const year_month_day date{day};
  year_month_day next = cycle == "yearly" ? date + years(1) : date + months(1);
  if (!next.ok()) next = next.year() / next.month() / last;  // 31 Jan + 1 month: 28/29 Feb
  return (sys_days(next) + time_of_day).time_since_epoch().count();
}

SubscriptionService::SubscriptionService(db::Database& db, auth::UserDirectory& users,
                                         realtime::EventBus& bus, CheckoutProvider* provider,
                                         BillingSettings settings)
    : db_(db), users_(users), bus_(bus), provider_(provider), settings_(std::move(settings)) {}

void SubscriptionService::announce(const PlanChange& change) {
  const std::string plan(plan_name(change.plan));
  bus_.publish(
      realtime::topics::user(change.user_id),
      change.started
          ? realtime::notification(change.user_id, "Plan started",
                                   "Your " + plan + " plan is active", "success")
          : realtime::notification(change.user_id, "Plan ended",
                                   "Your " + plan + " plan has ended; you are on free", "info"));
}

CheckoutProvider& SubscriptionService::provider() {
  if (provider_ == nullptr)
    throw AppError(ErrorCode::unavailable,
                   "Billing is not configured (set STRIPE_SECRET_KEY; the development checkout "
                   "is off in production)");
  return *provider_;
}

std::optional<SubscriptionRecord> SubscriptionService::current(const Caller& caller) {
  auto c = db_.acquire();
  auto s = store_.find_by_user(*c, caller.user_id);
  if (s && ended(*s)) return std::nullopt;
  return s;
}

std::string SubscriptionService::start_checkout(const Caller& caller, Plan plan,
                                                const std::string& cycle,
                                                std::string_view server_origin) {
  CheckoutProvider& to = provider();
  CheckoutRecord checkout;
  checkout.id = crypto::uuid_v4();
  checkout.user_id = caller.user_id;
  checkout.plan = plan;
  checkout.billing_cycle = cycle;
  checkout.provider = std::string(to.name());
  checkout.created_at = now_ms();
  checkout.expires_at = checkout.created_at + settings_.checkout_ttl_ms;
  // A user has one payable checkout at a time: the ones opened before are closed, so two tabs
  // can never both become subscriptions.
  const std::vector<std::string> earlier = db_.transaction([&](db::Connection& c) {
    if (const auto s = store_.find_by_user(c, caller.user_id, true); s && !ended(*s))
      throw AppError::conflict(
          "You already have a " + std::string(plan_name(s->plan)) +
              " subscription; cancel it, and subscribe again once it has ended",
          "plan");
    auto sessions = store_.open_sessions(c, caller.user_id, checkout.created_at);
    store_.insert_checkout(c, checkout);
    return sessions;
  });
  try {
    for (const std::string& session : earlier) {
      to.close(session);
      auto c = db_.acquire();
      store_.end_session(*c, session, now_ms());
    }
    OpenedCheckout opened = to.open(checkout, server_origin);
    if (opened.session_id) {
      auto c = db_.acquire();
      store_.set_checkout_session(*c, checkout.id, *opened.session_id);
    }
    return std::move(opened.url);
  } catch (...) {
    auto c = db_.acquire();  // a checkout the provider never opened is not left behind
    store_.delete_checkout(*c, checkout.id);
    throw;
  }
}

SubscriptionRecord SubscriptionService::cancel(const Caller& caller) {
  const auto no_subscription = [] {
    return AppError(ErrorCode::not_found, "You have no subscription to cancel");
  };
  std::optional<SubscriptionRecord> s = current(caller);
  if (!s) throw no_subscription();
  if (s->cancel_at_period_end) return *s;
  if (s->stripe_subscription_id) provider().cancel_at_period_end(*s);
  return db_.transaction([&](db::Connection& c) {
    auto now = store_.find_by_user(c, caller.user_id, true);
    if (!now || ended(*now)) throw no_subscription();
    now->cancel_at_period_end = true;
    store_.save(c, *now, now_ms());
    return *now;
  });
}

DevelopmentCheckout SubscriptionService::development_checkout(std::string_view token) {
  const auto id = checkout_of_development_token(settings_.token_secret, token);
  if (!id) throw AppError::not_found(kNoCheckout);
  auto c = db_.acquire();
  auto checkout = store_.find_checkout(*c, *id);
  if (!checkout || checkout->provider != "development") throw AppError::not_found(kNoCheckout);
  const bool open = !checkout->completed_at && checkout->expires_at > now_ms();
  return {std::move(*checkout), open};
}

SubscriptionRecord SubscriptionService::confirm_development_checkout(std::string_view token) {
  const CheckoutRecord checkout = development_checkout(token).checkout;
  SubscriptionRecord started = db_.transaction([&](db::Connection& c) {
    const EpochMs now = now_ms();
    if (!store_.complete_checkout(c, checkout.id, now))
      throw AppError::conflict("This checkout was completed already or has expired", "token");
    const auto current = store_.find_by_user(c, checkout.user_id, true);
    // Another checkout became the subscription first: as POST /subscriptions/create, a 409.
    if (current && !ended(*current))
      throw AppError::conflict("You already have a " + std::string(plan_name(current->plan)) +
                                   " subscription; this checkout changes nothing",
                               "token");
    SubscriptionRecord next = successor(current, checkout.user_id);
    activate(next, {checkout.plan, checkout.billing_cycle}, now);
    next.stripe_subscription_id.reset();
    next.stripe_customer_id.reset();
    store_.save(c, next, now);
    log::info("development checkout completed",
              {{"userId", checkout.user_id}, {"plan", std::string(plan_name(checkout.plan))}});
    return next;
  });
  announce({started.user_id, started.plan, true});
  return started;
}

EventOutcome SubscriptionService::apply_stripe_event(std::string_view payload) {
  const StripeEvent e = read_stripe_event(payload);
  std::optional<PlanChange> change;
  const EventOutcome outcome = db_.transaction([&](db::Connection& c) {
    change.reset();
    if (!store_.record_stripe_event(c, e.id, e.type, std::string(payload), now_ms()))
      return EventOutcome::duplicate;
    return apply(c, e, change);
  });
  if (change) announce(*change);
  log::info("stripe event", {{"id", e.id}, {"type", e.type}, {"outcome", outcome_name(outcome)}});
  return outcome;
}

EventOutcome SubscriptionService::apply(db::Connection& c, const StripeEvent& e,
                                        std::optional<PlanChange>& change) {
  using Kind = StripeEvent::Kind;
  if (e.kind == Kind::other) return EventOutcome::ignored;
  const auto by_stripe_id =
      e.subscription_id ? store_.find_by_stripe_id(c, *e.subscription_id) : std::nullopt;
  std::optional<std::string> user_id = e.user_id;
  if (!user_id && by_stripe_id) user_id = by_stripe_id->user_id;
  if (!user_id && e.customer_id) user_id = store_.user_of_stripe_customer(c, *e.customer_id);
  if (!user_id || !crypto::is_uuid(*user_id) || users_.profiles(c, {*user_id}).empty())
    throw unknown_in_event("an unknown user");
  if ((e.kind == Kind::invoice_paid || e.kind == Kind::invoice_failed) && !by_stripe_id)
    throw unknown_in_event("an unknown subscription");

  const auto current = store_.find_by_user(c, *user_id, true);
  if (current && e.created < current->stripe_event_created) return EventOutcome::stale;
  // A late event of a subscription the user has since replaced leaves the new one alone.
  if (current && !ended(*current) && e.kind != Kind::checkout_completed &&
      current->stripe_subscription_id != e.subscription_id)
    return EventOutcome::ignored;

  const EpochMs now = now_ms();
  SubscriptionRecord next = successor(current, *user_id);
  const bool same_subscription = current && current->stripe_subscription_id == e.subscription_id;
  switch (e.kind) {
    case Kind::checkout_completed:
      // The subscription's own events may have come first and set its period: keep it.
      if (!same_subscription || ended(*current)) activate(next, *e.price, now);
      break;
    case Kind::subscription_changed:
    case Kind::subscription_deleted:
      if (e.status.empty()) return EventOutcome::ignored;  // incomplete: nothing paid yet
      if (!current && e.kind == Kind::subscription_deleted) return EventOutcome::ignored;
      if (!current) activate(next, *e.price, now);  // changed events always name their price
      if (e.price) {
        next.plan = e.price->plan;
        next.billing_cycle = e.price->cycle;
      }
      next.status = e.status;
      next.cancel_at_period_end = e.status != "canceled" && e.cancel_at_period_end;
      break;
    case Kind::invoice_paid:
      next.status = "active";
      break;
    case Kind::invoice_failed:
      next.status = "past_due";
      break;
    case Kind::other:
      return EventOutcome::ignored;
  }
  if (e.period_start) next.period_start = *e.period_start * 1000;
  if (e.period_end) next.period_end = *e.period_end * 1000;
  next.stripe_subscription_id = e.subscription_id;
  if (e.customer_id) next.stripe_customer_id = e.customer_id;
  next.stripe_event_created = e.created;
  if (e.customer_id) store_.save_stripe_customer(c, *user_id, *e.customer_id, now);
  store_.save(c, next, now);
  const bool was_live = current && !ended(*current), is_live = !ended(next);
  if (was_live != is_live)
    change = PlanChange{*user_id, is_live ? next.plan : current->plan, is_live};
  return EventOutcome::applied;
}

std::int64_t SubscriptionService::end_lapsed() {
  std::vector<std::pair<std::string, Plan>> ended_now;
  {
    auto c = db_.acquire();
    ended_now = store_.end_lapsed(*c, now_ms(), settings_.renewal_grace_ms);
  }
  for (const auto& [user_id, plan] : ended_now) announce({user_id, plan, false});
  return static_cast<std::int64_t>(ended_now.size());
}

}  // namespace karma::billing
