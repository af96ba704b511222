#pragma once
// Stripe's REST API over the project's outbound HTTPS client: form-encoded requests as Stripe
// expects them (`line_items[0][price]=…`), an Idempotency-Key on every POST, and Stripe's answers
// as the contract's errors (a card or request error 400; Stripe down, slow, misconfigured or
// answering anything but its JSON 503).
#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace karma::http {
class OutboundClient;
}
namespace karma {
class AppError;
}

namespace karma::billing {

struct StripeSettings {
  std::string api_base = "https://api.stripe.com";
  std::string secret_key;
  int timeout_ms = 10000;
  std::string ca_file;
};

using FormFields = std::vector<std::pair<std::string, std::string>>;
// application/x-www-form-urlencoded, brackets in keys kept literal as Stripe's libraries send
// them.
std::string form_encode(const FormFields& fields);
// The contract's error for Stripe's answer `status` with `body`.
AppError stripe_error(int status, std::string_view body);
// 503: Stripe cannot be used now (`why` is logged, not shown).
AppError stripe_unavailable(std::string_view why);

class StripeApi {
 public:
  explicit StripeApi(StripeSettings settings);
  ~StripeApi();
  // POST /v1/<path>: the object Stripe answers, or throws AppError.
  boost::json::object post(std::string_view path, const FormFields& form,
                           const std::string& idempotency_key);
  // GET /v1/<path_and_query>.
  boost::json::object get(std::string_view path_and_query);

 private:
  boost::json::object exchange(std::string_view method, std::string target, std::string body,
                               const std::string& idempotency_key);
  StripeSettings settings_;
  std::unique_ptr<http::OutboundClient> client_;
};

}  // namespace karma::billing
