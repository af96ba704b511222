#pragma once
// Stripe webhooks, read before anything is trusted: the Stripe-Signature check over the raw
// body (https://docs.stripe.com/webhooks#verify-manually), then what an event says about a
// subscription. Pure functions: the fuzzer and unit tests drive them directly.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "billing/plans.hpp"

namespace karma::billing {

enum class SignatureProblem { none, missing, malformed, no_v1, stale, mismatch };
std::string_view signature_problem_text(SignatureProblem problem);

// `header` is "t=<seconds>,v1=<hex>[,v1=<hex>…][,v0=…]". Accepted when any v1 signature is
// HMAC-SHA256(secret, "<t>.<payload>") (compared in constant time) and t is within
// `tolerance_seconds` of `now_seconds`.
SignatureProblem verify_stripe_signature(std::string_view header, std::string_view payload,
                                         std::string_view secret, std::int64_t now_seconds,
                                         std::int64_t tolerance_seconds = 300);

// The billing cycle and plan a Stripe price's lookup key names: "pro_monthly" → pro, monthly.
struct PlanPrice {
  Plan plan = Plan::pro;
  std::string cycle;  // monthly | yearly
};
std::optional<PlanPrice> plan_of_lookup_key(std::string_view lookup_key);
std::string lookup_key_of(Plan plan, std::string_view cycle);

// What one event says. Throws AppError VALIDATION_ERROR when the body is not a Stripe event
// or lacks what its type needs.
struct StripeEvent {
  enum class Kind {
    checkout_completed,    // checkout.session.completed (mode subscription)
    subscription_changed,  // customer.subscription.created | updated
    subscription_deleted,  // customer.subscription.deleted
    invoice_paid,
    invoice_failed,  // invoice.payment_failed
    other,           // recorded, changes nothing
  };
  std::string id;
  std::string type;
  std::int64_t created = 0;  // seconds
  Kind kind = Kind::other;
  std::optional<std::string> user_id;  // metadata.userId / client_reference_id, when given
  std::optional<std::string> subscription_id;
  std::optional<std::string> customer_id;
  std::optional<PlanPrice> price;  // subscription's price, or the checkout's metadata
  std::string status;              // subscription events: the contract's status; "" to ignore
  bool cancel_at_period_end = false;
  std::optional<std::int64_t> period_start;  // seconds
  std::optional<std::int64_t> period_end;
};
StripeEvent read_stripe_event(std::string_view payload);

}  // namespace karma::billing
