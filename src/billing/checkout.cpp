#include "billing/checkout.hpp"

#include <boost/json/array.hpp>

#include <map>
#include <mutex>

#include "billing/stripe_webhook.hpp"
#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "db/database.hpp"

namespace karma::billing {

namespace bj = boost::json;

namespace {

std::string token_signature(std::string_view secret, std::string_view checkout_id) {
  return crypto::base64url_encode(
      crypto::hmac_sha256(secret, "karma-dev-checkout:" + std::string(checkout_id)));
}

class DevelopmentCheckout final : public CheckoutProvider {
 public:
  explicit DevelopmentCheckout(std::string secret) : secret_(std::move(secret)) {}
  std::string_view name() const override { return "development"; }

  OpenedCheckout open(const CheckoutRecord& checkout, std::string_view server_origin) override {
    return {std::string(server_origin) + kDevelopmentCheckoutPath +
                "?token=" + development_token(secret_, checkout.id),
            std::nullopt};
  }

  void close(const std::string&) override {}

  void cancel_at_period_end(const SubscriptionRecord&) override {}

 private:
  std::string secret_;
};

class StripeCheckout final : public CheckoutProvider {
 public:
  StripeCheckout(StripeCheckoutSettings settings, db::Database& db, SubscriptionStore& store)
      : settings_(std::move(settings)), api_(settings_.api), db_(db), store_(store) {}
  std::string_view name() const override { return "stripe"; }

  OpenedCheckout open(const CheckoutRecord& checkout, std::string_view) override {
    const std::string price = price_of(lookup_key_of(checkout.plan, checkout.billing_cycle));
    const std::string customer = customer_of(checkout.user_id);
    const bj::object session = api_.post("checkout/sessions",
                                         {{"mode", "subscription"},
                                          {"customer", customer},
                                          {"line_items[0][price]", price},
                                          {"line_items[0][quantity]", "1"},
                                          {"client_reference_id", checkout.user_id},
                                          {"metadata[userId]", checkout.user_id},
                                          {"metadata[plan]", std::string(plan_name(checkout.plan))},
                                          {"metadata[billingCycle]", checkout.billing_cycle},
                                          {"metadata[checkoutId]", checkout.id},
                                          {"subscription_data[metadata][userId]", checkout.user_id},
                                          {"success_url", settings_.success_url},
                                          {"cancel_url", settings_.cancel_url}},
                                         "karma-checkout-" + checkout.id);
    OpenedCheckout opened{json::string_member(session, "url"), json::string_member(session, "id")};
    if (opened.url.empty() || opened.session_id->empty())
      throw stripe_unavailable("checkout session without url or id");
    return opened;
  }

  void close(const std::string& session_id) override {
    try {
      api_.post("checkout/sessions/" + crypto::percent_encode(session_id) + "/expire", {},
                "karma-expire-" + session_id);
    } catch (const AppError& e) {
      // Stripe refuses to expire a session that was completed or has expired: nothing to do.
      if (e.code() != ErrorCode::validation) throw;
    }
  }

  void cancel_at_period_end(const SubscriptionRecord& s) override {
    if (!s.stripe_subscription_id) return;
    api_.post("subscriptions/" + crypto::percent_encode(*s.stripe_subscription_id),
              {{"cancel_at_period_end", "true"}}, "karma-cancel-" + *s.stripe_subscription_id);
  }

 private:
  std::string price_of(const std::string& lookup_key) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = prices_.find(lookup_key); it != prices_.end()) return it->second;
    }
    const bj::object found =
        api_.get("prices?active=true&limit=1&lookup_keys[]=" + crypto::percent_encode(lookup_key));
    const auto* data = found.if_contains("data");
    if (data == nullptr || !data->is_array() || data->get_array().empty() ||
        !data->get_array()[0].is_object())
      throw stripe_unavailable("no active price with lookup key " + lookup_key);
    std::string id = json::string_member(data->get_array()[0].get_object(), "id");
    if (id.empty()) throw stripe_unavailable("price without id");
    std::lock_guard lock(mutex_);
    prices_[lookup_key] = id;
    return id;
  }

  std::string customer_of(const std::string& user_id) {
    {
      auto c = db_.acquire();
      if (auto known = store_.stripe_customer_of(*c, user_id)) return *known;
    }
    // The key makes two racing checkouts of one user get the same customer from Stripe.
    const bj::object customer =
        api_.post("customers", {{"metadata[userId]", user_id}}, "karma-customer-" + user_id);
    const std::string id = json::string_member(customer, "id");
    if (id.empty()) throw stripe_unavailable("customer without id");
    auto c = db_.acquire();
    store_.save_stripe_customer(*c, user_id, id, now_ms());
    return store_.stripe_customer_of(*c, user_id).value_or(id);
  }

  StripeCheckoutSettings settings_;
  StripeApi api_;
  db::Database& db_;
  SubscriptionStore& store_;
  std::mutex mutex_;
  std::map<std::string, std::string> prices_;
};

}  // namespace

std::string development_token(std::string_view secret, const std::string& checkout_id) {
  return checkout_id + "." + token_signature(secret, checkout_id);
}

std::optional<std::string> checkout_of_development_token(std::string_view secret,
                                                         std::string_view token) {
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view id = token.substr(0, dot);
  if (!crypto::is_uuid(id) ||
      !crypto::constant_time_equal(token.substr(dot + 1), token_signature(secret, id)))
    return std::nullopt;
  return std::string(id);
}

std::unique_ptr<CheckoutProvider> make_development_checkout(std::string secret) {
  return std::make_unique<DevelopmentCheckout>(std::move(secret));
}

std::unique_ptr<CheckoutProvider> make_stripe_checkout(StripeCheckoutSettings settings,
                                                       db::Database& db, SubscriptionStore& store) {
  return std::make_unique<StripeCheckout>(std::move(settings), db, store);
}

}  // namespace karma::billing
