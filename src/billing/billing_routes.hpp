#pragma once
#include <string>

#include "http/router.hpp"

namespace karma::billing {

class PlanCatalog;
class SubscriptionService;

struct BillingRouteSettings {
  std::string webhook_secret;         // empty: the webhook answers 503
  bool development_checkout = false;  // the page is served (never in production)
  int port = 3000;                    // for the page's URL when the Host header is unusable
  std::string success_url;            // the page's way back to the app
};

void mount_billing_routes(http::Router& router, const PlanCatalog& catalog,
                          SubscriptionService& service, BillingRouteSettings settings);

}  // namespace karma::billing
