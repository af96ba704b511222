#include "billing/stripe_api.hpp"

#include <boost/json/parse.hpp>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "http/outbound.hpp"

namespace karma::billing {

namespace bj = boost::json;

namespace {

constexpr std::size_t kAnswerLimit = 1 << 20;
constexpr const char* kStripeVersion = "2024-06-20";

std::string key_encode(std::string_view key) {
  std::string out;
  for (char ch : key) {
    if (ch == '[' || ch == ']')
      out += ch;
    else
      out += crypto::percent_encode(std::string_view(&ch, 1));
  }
  return out;
}

}  // namespace

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += key_encode(key);
    out += '=';
    out += crypto::percent_encode(value);
  }
  return out;
}

AppError stripe_unavailable(std::string_view why) {
  log::warn("stripe unavailable", {{"reason", std::string(why)}});
  return AppError(ErrorCode::unavailable, "The payment provider is unavailable; try again later",
                  bj::object{{"provider", "stripe"}});
}

AppError stripe_error(int status, std::string_view body) {
  boost::system::error_code ec;
  const bj::value parsed = bj::parse(body, ec);
  const bj::object* error = nullptr;
  if (!ec && parsed.is_object())
    if (const auto* e = parsed.get_object().if_contains("error"); e && e->is_object())
      error = &e->get_object();
  if (error == nullptr)
    return stripe_unavailable("answer " + std::to_string(status) + " is not Stripe's JSON");
  const std::string type = json::string_member(*error, "type");
  if (status >= 500 || status == 429 || type == "api_error" || type == "rate_limit_error")
    return stripe_unavailable("Stripe answered " + std::to_string(status) + " " + type);
  if (status == 401 || status == 403 || type == "authentication_error" ||
      type == "permission_error")
    return stripe_unavailable("Stripe refused our key: " + json::string_member(*error, "message"));
  bj::object details{{"provider", "stripe"}, {"type", type}};
  if (const std::string code = json::string_member(*error, "code"); !code.empty())
    details["code"] = code;
  if (const std::string param = json::string_member(*error, "param"); !param.empty())
    details["param"] = param;
  std::string message = json::string_member(*error, "message");
  if (message.empty()) message = "The payment provider refused the request";
  return AppError(ErrorCode::validation, std::move(message), std::move(details));
}

StripeApi::StripeApi(StripeSettings settings) : settings_(std::move(settings)) {
  http::OutboundOptions options;
  options.connect_timeout = std::chrono::milliseconds(settings_.timeout_ms);
  options.io_timeout = std::chrono::milliseconds(settings_.timeout_ms);
  options.ca_file = settings_.ca_file;
  client_ = std::make_unique<http::OutboundClient>(settings_.api_base, options);
}

StripeApi::~StripeApi() = default;

bj::object StripeApi::post(std::string_view path, const FormFields& form,
                           const std::string& idempotency_key) {
  return exchange("POST", "/v1/" + std::string(path), form_encode(form), idempotency_key);
}

bj::object StripeApi::get(std::string_view path_and_query) {
  return exchange("GET", "/v1/" + std::string(path_and_query), {}, {});
}

bj::object StripeApi::exchange(std::string_view method, std::string target, std::string body,
                               const std::string& idempotency_key) {
  std::vector<http::Header> headers{{"authorization", "Bearer " + settings_.secret_key},
                                    {"stripe-version", kStripeVersion},
                                    {"accept", "application/json"}};
  if (method == "POST") {
    headers.push_back({"content-type", "application/x-www-form-urlencoded"});
    headers.push_back({"idempotency-key", idempotency_key});
  }
  std::string answer;
  int status = 0;
  try {
    auto response = client_->send({method, target, std::move(headers), body});
    status = response->status();
    answer = response->read_all(kAnswerLimit);
  } catch (const http::OutboundError& e) {
    throw stripe_unavailable(e.what());
  }
  if (status < 200 || status >= 300) throw stripe_error(status, answer);
  boost::system::error_code ec;
  bj::value parsed = bj::parse(answer, ec);
  if (ec || !parsed.is_object()) throw stripe_unavailable("a 2xx answer that is not JSON");
  return std::move(parsed.get_object());
}

}  // namespace karma::billing
