#include "billing/plans.hpp"

#include "billing/subscription_store.hpp"
#include "core/app_error.hpp"

namespace karma::billing {
namespace {

class SubscriptionPlans final : public PlanDirectory {
 public:
  SubscriptionPlans(const PlanCatalog& catalog, bool enforce)
      : catalog_(catalog), enforce_(enforce) {}

  Plan plan_of(db::Connection& c, const std::string& user_id) override {
    return store_.plan_of(c, user_id);
  }

  void require_room(db::Connection& c, const std::string& user_id, Resource resource,
                    const std::function<std::int64_t()>& count) override {
    if (!enforce_) return;
    store_.lock_plan_limits(c, user_id);
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
  SubscriptionStore store_;
};

}  // namespace

std::unique_ptr<PlanDirectory> make_subscription_plans(const PlanCatalog& catalog, bool enforce) {
  return std::make_unique<SubscriptionPlans>(catalog, enforce);
}

}  // namespace karma::billing
