// Billing's pure parts: Stripe-Signature verification, Stripe events, Stripe's errors, form
// encoding, periods and the plan catalog's overrides.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>

#include "billing/plans.hpp"
#include "billing/stripe_api.hpp"
#include "billing/stripe_webhook.hpp"
#include "billing/subscription_service.hpp"
#include "core/app_error.hpp"
#include "core/crypto.hpp"

namespace karma::billing {
namespace {

constexpr std::string_view kSecret = "whsec_test_secret";
constexpr std::string_view kPayload = R"({"id":"evt_1","object":"event"})";

std::string v1(std::int64_t t, std::string_view payload, std::string_view secret = kSecret) {
  return crypto::hex(crypto::hmac_sha256(secret, std::to_string(t) + "." + std::string(payload)));
}

TEST(StripeSignature, AcceptsAnyMatchingV1WithinTheTolerance) {
  const std::int64_t t = 1'800'000'000;
  const std::string good = v1(t, kPayload);
  EXPECT_EQ(verify_stripe_signature("t=" + std::to_string(t) + ",v1=" + good, kPayload, kSecret, t),
            SignatureProblem::none);
  // Several signatures (a secret being rolled): one matching is enough, in any position.
  EXPECT_EQ(verify_stripe_signature("t=" + std::to_string(t) + ",v1=" + v1(t, kPayload, "old") +
                                        ",v1=" + good + ",v0=abc",
                                    kPayload, kSecret, t + 299),
            SignatureProblem::none);
}

TEST(StripeSignature, RefusesWhatStripeDidNotSignJustNow) {
  const std::int64_t t = 1'800'000'000;
  const std::string ts = "t=" + std::to_string(t);
  EXPECT_EQ(
      verify_stripe_signature(ts + ",v1=" + v1(t, kPayload, "whsec_other"), kPayload, kSecret, t),
      SignatureProblem::mismatch);
  EXPECT_EQ(verify_stripe_signature(ts + ",v1=" + v1(t, kPayload), std::string(kPayload) + " ",
                                    kSecret, t),
            SignatureProblem::mismatch);
  EXPECT_EQ(verify_stripe_signature(ts + ",v1=" + v1(t, kPayload), kPayload, kSecret, t + 600),
            SignatureProblem::stale);
  EXPECT_EQ(verify_stripe_signature(ts + ",v1=" + v1(t, kPayload), kPayload, kSecret, t - 600),
            SignatureProblem::stale);
  EXPECT_EQ(verify_stripe_signature(ts + ",v0=" + v1(t, kPayload), kPayload, kSecret, t),
            SignatureProblem::no_v1);
  EXPECT_EQ(verify_stripe_signature("", kPayload, kSecret, t), SignatureProblem::missing);
  EXPECT_EQ(verify_stripe_signature("v1=" + v1(t, kPayload), kPayload, kSecret, t),
            SignatureProblem::malformed);
  EXPECT_EQ(verify_stripe_signature("t=12x,v1=00", kPayload, kSecret, t),
            SignatureProblem::malformed);
  EXPECT_EQ(verify_stripe_signature(ts + "," + ts + ",v1=" + v1(t, kPayload), kPayload, kSecret, t),
            SignatureProblem::malformed);
}

TEST(StripeEvents, ReadSubscriptionsWhereverTheApiVersionPutsThePeriod) {
  const auto e = read_stripe_event(R"({"id":"evt_2","type":"customer.subscription.updated",
    "created":1800000100,"data":{"object":{"id":"sub_1","customer":"cus_1","status":"past_due",
    "cancel_at_period_end":true,"metadata":{"userId":"u"},
    "items":{"data":[{"current_period_start":1800000000,"current_period_end":1802592000,
    "price":{"id":"price_1","lookup_key":"team_yearly"}}]}}}})");
  EXPECT_EQ(e.kind, StripeEvent::Kind::subscription_changed);
  EXPECT_EQ(e.created, 1800000100);
  EXPECT_EQ(e.subscription_id, "sub_1");
  EXPECT_EQ(e.user_id, "u");
  EXPECT_EQ(e.status, "past_due");
  EXPECT_TRUE(e.cancel_at_period_end);
  ASSERT_TRUE(e.price);
  EXPECT_EQ(e.price->plan, Plan::team);
  EXPECT_EQ(e.price->cycle, "yearly");
  EXPECT_EQ(e.period_end, 1802592000);
  const auto unpaid = read_stripe_event(R"({"id":"evt_3","type":"customer.subscription.updated",
    "created":1,"data":{"object":{"id":"sub_1","status":"unpaid","current_period_end":5,
    "items":{"data":[{"price":{"lookup_key":"pro_monthly"}}]}}}})");
  EXPECT_EQ(unpaid.status, "canceled");
  EXPECT_EQ(unpaid.period_end, 5);
}

TEST(StripeEvents, RefuseBodiesThatAreNotUsableEvents) {
  const auto refused = [](std::string_view body) {
    try {
      read_stripe_event(body);
    } catch (const AppError& e) {
      return e.code() == ErrorCode::validation;
    }
    return false;
  };
  EXPECT_TRUE(refused("not json"));
  EXPECT_TRUE(refused("[]"));
  EXPECT_TRUE(refused(R"({"id":"evt","type":"invoice.paid","created":1})"));
  EXPECT_TRUE(refused(R"({"id":"evt","type":"invoice.paid","created":-1,"data":{"object":{}}})"));
  EXPECT_TRUE(refused(R"({"id":"evt","type":"invoice.paid","created":1,"data":{"object":{}}})"));
  // PostgreSQL could not store it (JSONB refuses \u0000): refused like any request body.
  EXPECT_TRUE(refused(R"({"id":"e","type":"charge.refunded","created":1,"data":{"object":
    {"id":"ch","note":"a\u0000b"}}})"));
  // A price Karma does not sell.
  EXPECT_TRUE(refused(R"({"id":"e","type":"customer.subscription.created","created":1,
    "data":{"object":{"id":"sub","status":"active","items":{"data":[{"price":
    {"lookup_key":"gold_monthly"}}]}}}})"));
  EXPECT_TRUE(refused(R"({"id":"e","type":"checkout.session.completed","created":1,
    "data":{"object":{"mode":"subscription","subscription":"sub","metadata":{"plan":"pro",
    "billingCycle":"monthly"}}}})"));  // nobody to credit
  const auto other = read_stripe_event(
      R"({"id":"e","type":"charge.refunded","created":1,"data":{"object":{"id":"ch"}}})");
  EXPECT_EQ(other.kind, StripeEvent::Kind::other);
  const auto payment = read_stripe_event(R"({"id":"e","type":"checkout.session.completed",
    "created":1,"data":{"object":{"mode":"payment","client_reference_id":"u"}}})");
  EXPECT_EQ(payment.kind, StripeEvent::Kind::other);
}

TEST(StripeEvents, InvoicesNameTheirSubscriptionInEitherPlace) {
  const auto old_form = read_stripe_event(R"({"id":"e","type":"invoice.paid","created":1,
    "data":{"object":{"subscription":"sub_a","lines":{"data":[{"period":{"start":10,"end":20}}]}}}})");
  EXPECT_EQ(old_form.subscription_id, "sub_a");
  EXPECT_EQ(old_form.period_start, 10);
  EXPECT_EQ(old_form.period_end, 20);
  const auto new_form = read_stripe_event(R"({"id":"e","type":"invoice.payment_failed",
    "created":1,"data":{"object":{"parent":{"subscription_details":{"subscription":"sub_b"}}}}})");
  EXPECT_EQ(new_form.kind, StripeEvent::Kind::invoice_failed);
  EXPECT_EQ(new_form.subscription_id, "sub_b");
}

TEST(StripeErrors, CardAndRequestErrorsAre400AndAnythingElse503) {
  const AppError card = stripe_error(
      402,
      R"({"error":{"type":"card_error","code":"card_declined","message":"Your card was declined."}})");
  EXPECT_EQ(card.code(), ErrorCode::validation);
  EXPECT_STREQ(card.what(), "Your card was declined.");
  EXPECT_EQ(card.details().at("code"), "card_declined");
  EXPECT_EQ(stripe_error(400, R"({"error":{"type":"invalid_request_error","param":"customer"}})")
                .details()
                .at("param"),
            "customer");
  EXPECT_EQ(stripe_error(500, R"({"error":{"type":"api_error"}})").code(), ErrorCode::unavailable);
  EXPECT_EQ(stripe_error(401, R"({"error":{"type":"authentication_error"}})").code(),
            ErrorCode::unavailable);
  EXPECT_EQ(stripe_error(429, R"({"error":{"type":"rate_limit_error"}})").code(),
            ErrorCode::unavailable);
  EXPECT_EQ(stripe_error(400, "<html>Bad gateway</html>").code(), ErrorCode::unavailable);
}

TEST(StripeForm, EncodesValuesAndKeepsKeyBrackets) {
  EXPECT_EQ(
      form_encode({{"line_items[0][price]", "price_1"},
                   {"success_url", "https://app.example/ok?a=1&b=2"},
                   {"metadata[note]", "a b+c"}}),
      "line_items[0][price]=price_1&success_url=https%3A%2F%2Fapp.example%2Fok%3Fa%3D1%26b%3D2"
      "&metadata[note]=a%20b%2Bc");
}

TEST(BillingPeriods, MonthsEndOnTheSameDayOrTheLastOne) {
  const auto at = [](int y, unsigned m, unsigned d) {
    using namespace std::chrono;
    return sys_days(year(y) / month(m) / day(d)).time_since_epoch() / milliseconds(1) + 3'600'000;
  };
  EXPECT_EQ(period_end_after(at(2026, 3, 15), "monthly"), at(2026, 4, 15));
  EXPECT_EQ(period_end_after(at(2026, 1, 31), "monthly"), at(2026, 2, 28));
  EXPECT_EQ(period_end_after(at(2028, 1, 31), "monthly"), at(2028, 2, 29));
  EXPECT_EQ(period_end_after(at(2026, 12, 31), "monthly"), at(2027, 1, 31));
  EXPECT_EQ(period_end_after(at(2028, 2, 29), "yearly"), at(2029, 2, 28));
}

TEST(PlanCatalogTest, OverridesReplaceTheDefaults) {
  const PlanCatalog defaults(1000, {});
  EXPECT_EQ(defaults.offer(Plan::free).limits.devices, 3);
  EXPECT_EQ(defaults.offer(Plan::free).limits.avatars, 2);
  EXPECT_EQ(defaults.offer(Plan::team).limits.projects, 500);
  EXPECT_EQ(defaults.offer(Plan::pro).limits.storage_bytes, 20000);
  EXPECT_FALSE(defaults.offer(Plan::enterprise).limits.devices);
  const PlanCatalog custom(1000, {"devices=5, storageBytes=unlimited", "", "", "projects=7"});
  EXPECT_EQ(custom.offer(Plan::free).limits.devices, 5);
  EXPECT_EQ(custom.offer(Plan::free).limits.avatars, 2);
  EXPECT_FALSE(custom.offer(Plan::free).limits.storage_bytes);
  EXPECT_EQ(custom.offer(Plan::enterprise).limits.projects, 7);
  for (const char* bad : {"devices", "devices=-1", "devices=3x", "seats=4", "devices=1e3"})
    EXPECT_THROW(PlanCatalog(1000, {bad, "", "", ""}), std::invalid_argument) << bad;
}

TEST(PlanCatalogTest, LookupKeysNameAPaidPlanAndACycle) {
  EXPECT_EQ(plan_of_lookup_key("enterprise_yearly")->plan, Plan::enterprise);
  EXPECT_FALSE(plan_of_lookup_key("free_monthly"));
  EXPECT_FALSE(plan_of_lookup_key("pro_weekly"));
  EXPECT_FALSE(plan_of_lookup_key("pro"));
  EXPECT_EQ(lookup_key_of(Plan::pro, "monthly"), "pro_monthly");
}

}  // namespace
}  // namespace karma::billing
