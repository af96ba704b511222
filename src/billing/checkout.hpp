#pragma once
// Where a user pays: Stripe Checkout when Stripe is configured, otherwise the development
// checkout page `karma` serves itself (never in production).
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "billing/stripe_api.hpp"
#include "billing/subscription_store.hpp"

namespace karma::db {
class Database;
}

namespace karma::billing {

struct OpenedCheckout {
  std::string url;                        // where the user pays
  std::optional<std::string> session_id;  // the provider's, when it keeps one
};

class CheckoutProvider {
 public:
  virtual ~CheckoutProvider() = default;
  virtual std::string_view name() const = 0;  // billing_checkouts.provider
  // Opens the payment of `checkout` (stored already). `server_origin` is this server as the
  // request reached it, for pages it serves itself.
  virtual OpenedCheckout open(const CheckoutRecord& checkout, std::string_view server_origin) = 0;
  // Closes a session `open` answered, so it can no longer be paid (one that was paid or has
  // expired meanwhile is fine).
  virtual void close(const std::string& session_id) = 0;
  // Tells the provider `s` ends when its period does.
  virtual void cancel_at_period_end(const SubscriptionRecord& s) = 0;
};

// The development checkout's one-time token: the checkout id, signed with `secret` (so a page
// can only confirm a checkout its owner started), and the id back from a token (or nothing).
std::string development_token(std::string_view secret, const std::string& checkout_id);
std::optional<std::string> checkout_of_development_token(std::string_view secret,
                                                         std::string_view token);
inline constexpr const char* kDevelopmentCheckoutPath = "/api/subscriptions/dev-checkout";

std::unique_ptr<CheckoutProvider> make_development_checkout(std::string secret);

struct StripeCheckoutSettings {
  StripeSettings api;
  std::string success_url;
  std::string cancel_url;
};
// Customers are created once per user (and kept in billing_customers); prices are looked up by
// lookup key ("pro_monthly") once and kept.
std::unique_ptr<CheckoutProvider> make_stripe_checkout(StripeCheckoutSettings settings,
                                                       db::Database& db, SubscriptionStore& store);

}  // namespace karma::billing
