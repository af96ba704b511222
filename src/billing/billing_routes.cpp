#include "billing/billing_routes.hpp"

#include "billing/billing_json.hpp"
#include "billing/checkout.hpp"
#include "billing/stripe_webhook.hpp"
#include "billing/subscription_service.hpp"
#include "core/app_error.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"

namespace karma::billing {

namespace bj = boost::json;
using http::Request;
using http::Response;

namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// This server as the request reached it: the development checkout links back to itself.
std::string server_origin(const Request& req, int port) {
  const std::string_view host = req.header("host");
  const bool usable = !host.empty() && host.size() <= 255 &&
                      host.find_first_not_of(
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789.-:[]") == std::string_view::npos;
  return "http://" + (usable ? std::string(host) : "localhost:" + std::to_string(port));
}

Response page(int status, std::string_view title, std::string_view body_html) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\">"
      "<title>";
  html += html_escape(title);
  html +=
      "</title><style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;"
      "padding:0 1rem;color:#1f2937}.dev{background:#fef3c7;border:1px solid #f59e0b;padding:"
      ".75rem 1rem;border-radius:.5rem}button{font-size:1rem;padding:.6rem 1.4rem;border:0;"
      "border-radius:.4rem;background:#4f46e5;color:#fff;cursor:pointer}</style></head><body>";
  html += body_html;
  html += "</body></html>";
  Response r = Response::text(status, std::move(html), "text/html; charset=utf-8");
  // The page carries a one-time token: no caching, no framing, no referrer leaking it.
  r.set_header("cache-control", "no-store");
  r.set_header("x-frame-options", "DENY");
  r.set_header("referrer-policy", "no-referrer");
  r.set_header("content-security-policy",
               "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  return r;
}

std::string price_text(const PlanCatalog& catalog, Plan plan, std::string_view cycle) {
  const PlanOffer& offer = catalog.offer(plan);
  const std::int64_t cents = cycle == "yearly" ? offer.yearly_cents : offer.monthly_cents;
  return std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
         std::to_string(cents % 100) + " " + PlanCatalog::kCurrency + " / " +
         (cycle == "yearly" ? "year" : "month");
}

constexpr std::array<std::string_view, 4> kEventOutcomes{"applied", "duplicate", "stale",
                                                         "ignored"};

const char* const kDevBanner =
    "<p class=\"dev\"><strong>Development checkout.</strong> This server has no payment "
    "provider configured: no card is asked for and no money is taken. Confirming activates the "
    "plan exactly as a completed payment would.</p>";

}  // namespace

void mount_billing_routes(http::Router& router, const PlanCatalog& catalog,
                          SubscriptionService& service, BillingRouteSettings settings) {
  using namespace http::schema;
  add_billing_schemas(router.components());
  auto subscriptions = router.group("/api/subscriptions");
  const auto subscription_reply =
      object({{"subscription", nullable(ref("Subscription"))}}, {"subscription"});

  subscriptions
      .get("",
           [&service](Request& req) {
             const auto s = service.current(req.require_caller());
             return Response::ok(bj::object{
                 {"subscription", s ? bj::value(subscription_json(*s)) : bj::value(nullptr)}});
           })
      .describe({.operation_id = "getSubscription",
                 .summary = "The caller's subscription; null while they are on free",
                 .tag = "Subscriptions",
                 .replies = {{200, subscription_reply}}});

  subscriptions.get("/plans", [&catalog](Request&) { return Response::ok(plans_json(catalog)); })
      .describe({.operation_id = "listPlans",
                 .summary = "The plans with their prices and limits (null: unlimited)",
                 .tag = "Subscriptions",
                 .replies = {{200, object({{"plans", array(ref("Plan"))}}, {"plans"})}}});

  subscriptions
      .post("/create",
            [&service, port = settings.port](Request& req) {
              const NewSubscription wanted = parse_new_subscription(req.json_body());
              const std::string url = service.start_checkout(
                  req.require_caller(), wanted.plan, wanted.cycle, server_origin(req, port));
              return Response::ok(bj::object{{"checkoutUrl", url}});
            })
      .describe({.operation_id = "createSubscription",
                 .summary = "Start a checkout for a paid plan: the URL to send the user to",
                 .tag = "Subscriptions",
                 .body = ref("NewSubscription"),
                 .replies = {{200, object({{"checkoutUrl", string()}}, {"checkoutUrl"})}},
                 .errors = {409}});

  subscriptions
      .post("/cancel",
            [&service](Request& req) {
              return Response::ok(bj::object{
                  {"subscription", subscription_json(service.cancel(req.require_caller()))}});
            })
      .describe(
          {.operation_id = "cancelSubscription",
           .summary = "Cancel at the end of the current period (the plan is kept until then)",
           .tag = "Subscriptions",
           .replies = {{200, object({{"subscription", ref("Subscription")}}, {"subscription"})}},
           .errors = {404}});

  const http::RouteOptions open{.guard = http::Guard::open};
  const bool development = settings.development_checkout;
  const auto require_development = [development] {
    if (!development)
      throw AppError(ErrorCode::unavailable,
                     "The development checkout is off (production, or Stripe is configured)");
  };
  const std::vector<http::Parameter> token_query{{.name = "token",
                                                  .schema = string(),
                                                  .description = "The checkout's one-time token",
                                                  .required = true}};
  subscriptions
      .get(
          "/dev-checkout",
          [&service, &catalog, require_development](Request& req) {
            require_development();
            const std::string token(req.query_param("token").value_or(""));
            const DevelopmentCheckout k = service.development_checkout(token);
            const std::string plan(plan_name(k.checkout.plan));
            std::string body =
                "<h1>Karma " + html_escape(catalog.offer(k.checkout.plan).name) + " plan</h1>" +
                kDevBanner + "<p>Plan: <strong>" + html_escape(plan) + "</strong>, billed " +
                html_escape(k.checkout.billing_cycle) + " (" +
                html_escape(price_text(catalog, k.checkout.plan, k.checkout.billing_cycle)) +
                ").</p>";
            if (k.open)
              body += "<form method=\"post\" action=\"" +
                      html_escape(std::string(kDevelopmentCheckoutPath) + "?token=" + token) +
                      "\"><button type=\"submit\" id=\"confirm\">Confirm subscription</button>"
                      "</form>";
            else
              body += "<p id=\"closed\">This checkout has been completed or has expired.</p>";
            return page(200, "Development checkout", body);
          },
          open)
      .describe({.operation_id = "developmentCheckoutPage",
                 .summary = "The development checkout (no payment provider): a page to confirm",
                 .tag = "Subscriptions",
                 .query = token_query,
                 .replies = {{200, string(), "HTML page", "text/html"}},
                 .errors = {404}});

  subscriptions
      .post(
          "/dev-checkout",
          [&service, &catalog, require_development,
           success_url = settings.success_url](Request& req) {
            require_development();
            const std::string token(req.query_param("token").value_or(""));
            const SubscriptionRecord s = service.confirm_development_checkout(token);
            return page(200, "Subscription active",
                        "<h1 id=\"active\">Your " + html_escape(catalog.offer(s.plan).name) +
                            " plan is active</h1>" + kDevBanner + "<p><a href=\"" +
                            html_escape(success_url) + "\">Back to Karma</a></p>");
          },
          open)
      .describe({.operation_id = "confirmDevelopmentCheckout",
                 .summary = "Confirm the development checkout: activates the plan once",
                 .tag = "Subscriptions",
                 .query = token_query,
                 .replies = {{200, string(), "HTML page", "text/html"}},
                 .errors = {404, 409}});

  http::RouteOptions signed_by_stripe{.guard = http::Guard::signature};
  signed_by_stripe.signature = [secret = settings.webhook_secret](const Request& req) {
    if (secret.empty())
      throw AppError(ErrorCode::unavailable, "The Stripe webhook is not configured");
    const SignatureProblem problem =
        verify_stripe_signature(req.header("stripe-signature"), req.body, secret, now_ms() / 1000);
    if (problem != SignatureProblem::none)
      throw AppError(ErrorCode::validation, std::string(signature_problem_text(problem)),
                     bj::object{{"field", "Stripe-Signature"}});
  };
  router
      .post(
          "/api/webhooks/stripe",
          [&service](Request& req) {
            const EventOutcome outcome = service.apply_stripe_event(req.body);
            return Response::ok(bj::object{{"received", true}, {"outcome", outcome_name(outcome)}});
          },
          signed_by_stripe)
      .describe(
          {.operation_id = "stripeWebhook",
           .summary = "Stripe events, verified by Stripe-Signature; idempotent by event id",
           .tag = "Subscriptions",
           .body = free_object(),
           .replies = {{200, object({{"received", boolean()}, {"outcome", one_of(kEventOutcomes)}},
                                    {"received", "outcome"})}}});
}

}  // namespace karma::billing
