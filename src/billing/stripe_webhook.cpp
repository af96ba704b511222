#include "billing/stripe_webhook.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/validation.hpp"

namespace karma::billing {

namespace bj = boost::json;

namespace {

// The members Stripe events nest, by a path of keys; null when any is missing.
const bj::value* at_path(const bj::value& root, std::initializer_list<std::string_view> keys) {
  const bj::value* v = &root;
  for (std::string_view key : keys) {
    const auto* object = v->if_object();
    if (object == nullptr) return nullptr;
    v = object->if_contains(key);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::optional<std::string> text_at(const bj::value& root,
                                   std::initializer_list<std::string_view> keys) {
  const bj::value* v = at_path(root, keys);
  if (v == nullptr || !v->is_string() || v->get_string().empty()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::int64_t> seconds_at(const bj::value& root,
                                       std::initializer_list<std::string_view> keys) {
  const bj::value* v = at_path(root, keys);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX / 1000))
    return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

AppError bad_event(std::string_view what) {
  return AppError(ErrorCode::validation, "Not a usable Stripe event: " + std::string(what));
}

// Stripe's subscription statuses as the contract's; "" for those that grant nothing yet
// (incomplete: the first payment is still open).
std::string contract_status(std::string_view stripe) {
  if (stripe == "active" || stripe == "trialing" || stripe == "past_due")
    return std::string(stripe);
  if (stripe == "incomplete") return "";
  return "canceled";  // canceled, unpaid, incomplete_expired, paused: no paid access
}

void read_subscription(const bj::value& object, StripeEvent& e) {
  e.subscription_id = text_at(object, {"id"});
  if (!e.subscription_id) throw bad_event("subscription without id");
  e.customer_id = text_at(object, {"customer"});
  e.user_id = text_at(object, {"metadata", "userId"});
  const auto status = text_at(object, {"status"});
  if (!status) throw bad_event("subscription without status");
  e.status =
      e.kind == StripeEvent::Kind::subscription_deleted ? "canceled" : contract_status(*status);
  const bj::value* cancel = at_path(object, {"cancel_at_period_end"});
  e.cancel_at_period_end = cancel != nullptr && cancel->is_bool() && cancel->get_bool();
  const bj::value* items = at_path(object, {"items", "data"});
  const bj::value* item = items != nullptr && items->is_array() && !items->get_array().empty()
                              ? &items->get_array()[0]
                              : nullptr;
  // Newer API versions keep the period on the item, older ones on the subscription.
  e.period_start = seconds_at(object, {"current_period_start"});
  e.period_end = seconds_at(object, {"current_period_end"});
  if (item != nullptr) {
    if (!e.period_start) e.period_start = seconds_at(*item, {"current_period_start"});
    if (!e.period_end) e.period_end = seconds_at(*item, {"current_period_end"});
    if (const auto key = text_at(*item, {"price", "lookup_key"})) {
      e.price = plan_of_lookup_key(*key);
      if (!e.price) throw bad_event("unknown price " + *key);
    }
  }
  if (!e.price && e.kind != StripeEvent::Kind::subscription_deleted)
    throw bad_event("subscription without a Karma price (lookup_key)");
}

void read_invoice(const bj::value& object, StripeEvent& e) {
  e.subscription_id = text_at(object, {"subscription"});
  if (!e.subscription_id)
    e.subscription_id = text_at(object, {"parent", "subscription_details", "subscription"});
  if (!e.subscription_id) throw bad_event("invoice without subscription");
  e.customer_id = text_at(object, {"customer"});
  const bj::value* lines = at_path(object, {"lines", "data"});
  if (lines != nullptr && lines->is_array() && !lines->get_array().empty()) {
    e.period_start = seconds_at(lines->get_array()[0], {"period", "start"});
    e.period_end = seconds_at(lines->get_array()[0], {"period", "end"});
  }
}

void read_checkout(const bj::value& object, StripeEvent& e) {
  if (text_at(object, {"mode"}) != "subscription") {
    e.kind = StripeEvent::Kind::other;
    return;
  }
  e.user_id = text_at(object, {"client_reference_id"});
  if (!e.user_id) e.user_id = text_at(object, {"metadata", "userId"});
  if (!e.user_id) throw bad_event("checkout without client_reference_id");
  e.subscription_id = text_at(object, {"subscription"});
  if (!e.subscription_id) throw bad_event("checkout without subscription");
  e.customer_id = text_at(object, {"customer"});
  const auto plan = text_at(object, {"metadata", "plan"});
  const auto cycle = text_at(object, {"metadata", "billingCycle"});
  if (!plan || !cycle) throw bad_event("checkout without metadata plan and billingCycle");
  e.price = plan_of_lookup_key(*plan + "_" + *cycle);
  if (!e.price) throw bad_event("unknown plan " + *plan + " " + *cycle);
  e.status = "active";
}

}  // namespace

std::string_view signature_problem_text(SignatureProblem problem) {
  switch (problem) {
    case SignatureProblem::none:
      return "valid";
    case SignatureProblem::missing:
      return "Stripe-Signature header missing";
    case SignatureProblem::malformed:
      return "Stripe-Signature header malformed";
    case SignatureProblem::no_v1:
      return "Stripe-Signature has no v1 signature";
    case SignatureProblem::stale:
      return "Stripe-Signature timestamp outside the tolerance";
    case SignatureProblem::mismatch:
      return "No Stripe-Signature v1 signature matches the payload";
  }
  return "invalid";
}

SignatureProblem verify_stripe_signature(std::string_view header, std::string_view payload,
                                         std::string_view secret, std::int64_t now_seconds,
                                         std::int64_t tolerance_seconds) {
  if (trim(header).empty()) return SignatureProblem::missing;
  std::optional<std::int64_t> t;
  std::vector<std::string_view> v1;
  const auto items = split_list(header);
  for (const std::string_view item : items) {
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      const auto seconds = parse_int64(value);
      if (!seconds || t) return SignatureProblem::malformed;
      t = seconds;
    } else if (key == "v1") {
      v1.push_back(value);
    }
  }
  if (!t) return SignatureProblem::malformed;
  if (v1.empty()) return SignatureProblem::no_v1;
  const std::int64_t age = now_seconds - *t;
  if (age > tolerance_seconds || age < -tolerance_seconds) return SignatureProblem::stale;
  std::string signed_payload = std::to_string(*t);
  signed_payload += '.';
  signed_payload += payload;
  const std::string expected = crypto::hex(crypto::hmac_sha256(secret, signed_payload));
  bool matched = false;
  for (std::string_view candidate : v1) matched |= crypto::constant_time_equal(candidate, expected);
  return matched ? SignatureProblem::none : SignatureProblem::mismatch;
}

std::optional<PlanPrice> plan_of_lookup_key(std::string_view key) {
  const std::size_t underscore = key.rfind('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  const auto plan = plan_named(key.substr(0, underscore));
  const std::string_view cycle = key.substr(underscore + 1);
  if (!plan || *plan == Plan::free || (cycle != "monthly" && cycle != "yearly"))
    return std::nullopt;
  return PlanPrice{*plan, std::string(cycle)};
}

std::string lookup_key_of(Plan plan, std::string_view cycle) {
  return std::string(plan_name(plan)) + "_" + std::string(cycle);
}

StripeEvent read_stripe_event(std::string_view payload) {
  const bj::value root = json::parse_object(payload);
  StripeEvent e;
  const auto id = text_at(root, {"id"});
  const auto type = text_at(root, {"type"});
  const auto created = seconds_at(root, {"created"});
  const bj::value* object = at_path(root, {"data", "object"});
  if (!id || !type || !created || object == nullptr || !object->is_object())
    throw bad_event("id, type, created and data.object are required");
  if (id->size() > 255 || type->size() > 255) throw bad_event("id or type too long");
  e.id = *id;
  e.type = *type;
  e.created = *created;
  if (e.type == "checkout.session.completed") {
    e.kind = StripeEvent::Kind::checkout_completed;
    read_checkout(*object, e);
  } else if (e.type == "customer.subscription.created" ||
             e.type == "customer.subscription.updated") {
    e.kind = StripeEvent::Kind::subscription_changed;
    read_subscription(*object, e);
  } else if (e.type == "customer.subscription.deleted") {
    e.kind = StripeEvent::Kind::subscription_deleted;
    read_subscription(*object, e);
  } else if (e.type == "invoice.paid") {
    e.kind = StripeEvent::Kind::invoice_paid;
    read_invoice(*object, e);
  } else if (e.type == "invoice.payment_failed") {
    e.kind = StripeEvent::Kind::invoice_failed;
    read_invoice(*object, e);
  }
  return e;
}

}  // namespace karma::billing
