// The plans on offer and what they allow, apart from the database (the webhook fuzzer links it).
#include <stdexcept>

#include "billing/plans.hpp"
#include "core/validation.hpp"

namespace karma::billing {
namespace {

constexpr std::array<std::string_view, 4> kPlanNames = {"free", "pro", "team", "enterprise"};

std::optional<std::int64_t>* limit_slot(PlanLimits& limits, std::string_view key) {
  if (key == "devices") return &limits.devices;
  if (key == "avatars") return &limits.avatars;
  if (key == "projects") return &limits.projects;
  if (key == "storageBytes") return &limits.storage_bytes;
  return nullptr;
}

// "devices=5,storageBytes=unlimited" over the defaults in `limits`.
void apply_overrides(PlanLimits& limits, std::string_view plan, std::string_view text) {
  const auto items = split_list(text);
  for (const std::string_view item : items) {
    const std::size_t eq = item.find('=');
    const auto bad = [&] {
      return std::invalid_argument("PLAN_LIMITS_" + std::string(plan) + ": cannot read '" +
                                   std::string(item) +
                                   "' (devices|avatars|projects|storageBytes=N|unlimited)");
    };
    if (eq == std::string_view::npos) throw bad();
    auto* slot = limit_slot(limits, trim(item.substr(0, eq)));
    const std::string_view value = trim(item.substr(eq + 1));
    if (slot == nullptr) throw bad();
    if (value == "unlimited") {
      *slot = std::nullopt;
      continue;
    }
    const auto n = parse_int64(value);
    if (!n || *n < 0) throw bad();
    *slot = n;
  }
}

}  // namespace

std::string_view plan_name(Plan plan) {
  return kPlanNames[static_cast<std::size_t>(plan)];
}

std::optional<Plan> plan_named(std::string_view name) {
  for (std::size_t i = 0; i < kPlanNames.size(); ++i)
    if (kPlanNames[i] == name) return static_cast<Plan>(i);
  return std::nullopt;
}

const std::array<std::string_view, 4>& plan_names() {
  return kPlanNames;
}

std::optional<std::int64_t> PlanLimits::of(Resource resource) const {
  switch (resource) {
    case Resource::devices:
      return devices;
    case Resource::avatars:
      return avatars;
    case Resource::projects:
      return projects;
  }
  return std::nullopt;
}

PlanCatalog::PlanCatalog(std::int64_t free_storage_bytes,
                         const std::array<std::string, 4>& overrides)
    : offers_{{
          {Plan::free, "Free", 0, 0, {3, 2, 3, free_storage_bytes}},
          {Plan::pro, "Pro", 1900, 19000, {20, 20, 50, free_storage_bytes * 20}},
          {Plan::team, "Team", 9900, 99000, {200, 100, 500, free_storage_bytes * 200}},
          {Plan::enterprise, "Enterprise", 49900, 499000, {}},
      }} {
  for (std::size_t i = 0; i < offers_.size(); ++i)
    apply_overrides(offers_[i].limits, kPlanNames[i], overrides[i]);
}

}  // namespace karma::billing
