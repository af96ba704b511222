#include "billing/plans.hpp"

#include "core/app_error.hpp"
#include "db/database.hpp"

namespace karma::billing {
namespace {

class SubscriptionPlans final : public PlanDirectory {
 public:
  SubscriptionPlans(const PlanCatalog& catalog, bool enforce)
      : catalog_(catalog), enforce_(enforce) {}

  Plan plan_of(db::Connection& c, const std::string& user_id) override {
    // past_due keeps the plan while Stripe retries the payment; it ends with the subscription.
    const auto r = c.query(
        "SELECT plan FROM subscriptions WHERE user_id = $1 "
        "AND status IN ('active', 'trialing', 'past_due')",
        {user_id});
    if (r.empty()) return Plan::free;
    return plan_named(r.first().text(0)).value_or(Plan::free);
  }

  void require_room(db::Connection& c, const std::string& user_id, Resource resource,
                    const std::function<std::int64_t()>& count) override {
    if (!enforce_) return;
    // SQLite's write transactions already run one at a time; PostgreSQL's wait here for the
    // user's other creates to commit, so each counts what the one before it inserted.
    if (c.dialect() == db::Dialect::postgres)
      c.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {"plan-limit:" + user_id});
    const auto limit = catalog_.offer(plan_of(c, user_id)).limits.of(resource);
    if (!limit || count() < *limit) return;
    static constexpr std::array<const char*, 3> kWhat = {"devices", "avatars", "projects"};
    throw AppError::plan_limit("Your plan allows " + std::to_string(*limit) + " " +
                                   kWhat[static_cast<std::size_t>(resource)] +
                                   "; upgrade it to add more",
                               *limit);
  }

  void require_paid_plan(db::Connection& c, const std::string& user_id,
                         const std::string& message) override {
    if (enforce_ && plan_of(c, user_id) == Plan::free)
      throw AppError(ErrorCode::forbidden, message, boost::json::object{{"plan", "free"}});
  }

  std::optional<std::int64_t> storage_quota(db::Connection& c,
                                            const std::string& user_id) override {
    if (!enforce_) return std::nullopt;
    return catalog_.offer(plan_of(c, user_id)).limits.storage_bytes;
  }

 private:
  const PlanCatalog& catalog_;
  bool enforce_;
};

}  // namespace

std::unique_ptr<PlanDirectory> make_subscription_plans(const PlanCatalog& catalog, bool enforce) {
  return std::make_unique<SubscriptionPlans>(catalog, enforce);
}

}  // namespace karma::billing
