#pragma once
// Avatars (API.md §5): a user's own, the public ones of the store, reviews and acquiring copies.
// A private avatar of someone else is NOT_FOUND; a system prompt is shown to its author only.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/user_directory.hpp"
#include "avatars/avatar_directory.hpp"
#include "avatars/avatar_store.hpp"
#include "billing/plans.hpp"
#include "core/caller.hpp"
#include "core/validation.hpp"
#include "db/database.hpp"
#include "realtime/event_bus.hpp"

namespace karma::avatars {

struct NewAvatar {
  std::string name, role, description;
  std::optional<std::string> avatar_url;
  std::vector<std::string> skills;
  bool is_public = false;
  std::optional<double> price;
  std::string base_model, system_prompt;
  std::vector<std::string> tools;
  std::string abilities = "{}";
};

struct AvatarChange {
  std::optional<std::string> name, role, description;
  bool avatar_given = false;  // avatar: absent (keep), null (clear) or a URL (set)
  std::optional<std::string> avatar_url;
  std::optional<std::vector<std::string>> skills;
  std::optional<bool> is_public;
  bool price_given = false;  // price: absent (keep), null (free) or a number
  std::optional<double> price;
  std::optional<std::string> base_model, system_prompt;
  std::optional<std::vector<std::string>> tools;
  std::optional<std::string> abilities;
};

// An avatar as one caller sees it.
struct AvatarView {
  AvatarRecord record;
  AvatarStats stats;
  bool show_prompt = false;
};

struct StoreRequest {
  std::optional<std::string> q;
  std::optional<std::string> skill;
  std::optional<std::string> sort;  // rating | downloads | price | createdAt; default: relevance
                                    // with q, rating without
  Paging paging;
};

struct NewReview {
  std::int64_t rating = 0;
  std::optional<std::string> comment;
};

struct ReviewView {
  ReviewRecord review;
  std::string user_name;
  std::optional<std::string> user_avatar;
};

class AvatarService final : public AvatarDirectory {
 public:
  // Acquiring a paid avatar needs a paid plan (`plans` decides; none with PLAN_LIMITS=off).
  AvatarService(db::Database& db, realtime::EventBus& bus, auth::UserDirectory& users,
                billing::PlanDirectory& plans);

  std::vector<AvatarView> list(const Caller& caller);
  AvatarView create(const Caller& caller, const NewAvatar& input);
  AvatarView get(const Caller& caller, const std::string& id);
  AvatarView update(const Caller& caller, const std::string& id, const AvatarChange& change);
  void remove(const Caller& caller, const std::string& id);

  std::pair<std::vector<AvatarView>, std::int64_t> store(const Caller& caller,
                                                         const StoreRequest& request);
  // Changes whenever what `store` answers does: the store's revision and the UTC day (earnings
  // are counted by day). A rendered page is reused while it matches.
  std::string store_stamp();
  // The agent runs as the caller's avatar `id` until `until` (working meanwhile), or its run
  // ended (nothing). The owner is told of the status change.
  void agent_run(const Caller& caller, const std::string& id, std::optional<EpochMs> until);
  ReviewView review(const Caller& caller, const std::string& id, const NewReview& input);
  std::pair<std::vector<ReviewView>, std::int64_t> reviews(const Caller& caller,
                                                           const std::string& id,
                                                           const Paging& paging);
  AvatarView acquire(const Caller& caller, const std::string& id);

  // AvatarDirectory, for projects and the agent.
  AvatarSummary require_usable(db::Connection& c, const Caller& caller,
                               const std::string& avatar_id) override;
  std::vector<AvatarSummary> summaries(db::Connection& c,
                                       const std::vector<std::string>& ids) override;
  std::vector<AvatarStatusChange> record_work(db::Connection& c, const TaskWork& work) override;
  std::vector<AvatarStatusChange> forget_work(db::Connection& c,
                                              const std::vector<std::string>& task_ids,
                                              EpochMs now) override;
  void publish(const std::vector<AvatarStatusChange>& changes) override;

 private:
  // The avatar if the caller may see it (theirs, or public), else NOT_FOUND.
  AvatarRecord visible(db::Connection& c, const Caller& caller, const std::string& id,
                       bool lock = false);
  AvatarRecord owned(db::Connection& c, const Caller& caller, const std::string& id);
  // The caller's plan allows one more avatar (created or acquired), or FORBIDDEN.
  void require_room(db::Connection& c, const Caller& caller);
  std::vector<AvatarView> views(db::Connection& c, const Caller& caller,
                                std::vector<AvatarRecord> records);
  AvatarView view(db::Connection& c, const Caller& caller, AvatarRecord record);
  // Brings each avatar's status in line with its work; returns the ones that changed.
  std::vector<AvatarStatusChange> refresh_statuses(db::Connection& c,
                                                   const std::vector<std::string>& avatar_ids,
                                                   EpochMs now);
  // Each review with its author's name and picture; one lookup for all.
  std::vector<ReviewView> review_views(db::Connection& c, std::vector<ReviewRecord> records);

  db::Database& db_;
  realtime::EventBus& bus_;
  auth::UserDirectory& users_;
  billing::PlanDirectory& plans_;
  AvatarStore store_;
};

}  // namespace karma::avatars
