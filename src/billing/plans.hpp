#pragma once
// What other features may ask billing: which plan a user is on, whether they may create one
// more device, avatar or project, and how much they may store. Asked on the caller's
// connection, inside the transaction that writes, so a limit check and the write it guards see
// one state.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace karma::db {
class Connection;
}

namespace karma::billing {

enum class Plan { free, pro, team, enterprise };
enum class Resource { devices, avatars, projects };

std::string_view plan_name(Plan plan);
std::optional<Plan> plan_named(std::string_view name);
// The plan ids in the contract's order, for enums in parsing and schemas.
const std::array<std::string_view, 4>& plan_names();

// Empty: unlimited.
struct PlanLimits {
  std::optional<std::int64_t> devices;
  std::optional<std::int64_t> avatars;
  std::optional<std::int64_t> projects;
  std::optional<std::int64_t> storage_bytes;
  std::optional<std::int64_t> of(Resource resource) const;
};

struct PlanOffer {
  Plan plan = Plan::free;
  std::string name;
  std::int64_t monthly_cents = 0;
  std::int64_t yearly_cents = 0;
  PlanLimits limits;
};

// The plans on offer and their limits. `overrides[p]` is "key=value,…" with keys devices,
// avatars, projects, storageBytes and values a count or "unlimited" (PLAN_LIMITS_<PLAN>);
// throws std::invalid_argument naming what it cannot read.
class PlanCatalog {
 public:
  PlanCatalog(std::int64_t free_storage_bytes, const std::array<std::string, 4>& overrides);
  const std::array<PlanOffer, 4>& offers() const { return offers_; }
  const PlanOffer& offer(Plan plan) const { return offers_[static_cast<std::size_t>(plan)]; }
  static constexpr const char* kCurrency = "usd";

 private:
  std::array<PlanOffer, 4> offers_;
};

class PlanDirectory {
 public:
  virtual ~PlanDirectory() = default;
  virtual Plan plan_of(db::Connection& c, const std::string& user_id) = 0;
  // Throws 403 FORBIDDEN {limit} when `user_id` already has as many of `resource` as their plan
  // allows; `count` counts what they have. Call it in the transaction that creates one: it
  // holds the user's limit lock until that transaction ends, so parallel creates at the limit
  // never overshoot (whatever the instance).
  virtual void require_room(db::Connection& c, const std::string& user_id, Resource resource,
                            const std::function<std::int64_t()>& count) = 0;
  // Throws 403 FORBIDDEN {plan: "free"} with `message` while the user is on the free plan
  // (paid avatars); nothing when limits are off.
  virtual void require_paid_plan(db::Connection& c, const std::string& user_id,
                                 const std::string& message) = 0;
  // Bytes the user may store; empty: unlimited (or limits are off).
  virtual std::optional<std::int64_t> storage_quota(db::Connection& c,
                                                    const std::string& user_id) = 0;
};

// The plan of a user's subscription (free without one) and its limits from `catalog`; with
// `enforce` false (PLAN_LIMITS=off) every limit is lifted.
std::unique_ptr<PlanDirectory> make_subscription_plans(const PlanCatalog& catalog, bool enforce);

}  // namespace karma::billing
