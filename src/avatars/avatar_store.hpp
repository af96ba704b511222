#pragma once
// SQL of avatars, their work, reviews and acquisitions. Every call takes the connection it runs
// on, so the service decides what shares a transaction.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/money.hpp"
#include "db/database.hpp"

namespace karma::avatars {

struct AvatarRecord {
  std::string id;
  std::string created_by;
  std::string name;
  std::string role;
  std::string description;
  std::optional<std::string> avatar_url;
  std::vector<std::string> skills;
  std::string status = "idle";
  std::string base_model;
  std::string system_prompt;
  std::string prompt_author;  // who may read system_prompt
  std::vector<std::string> tools;
  std::string abilities = "{}";  // JSON object text
  bool is_public = false;
  std::optional<double> price;  // per task
  std::optional<double> rating;
  std::int64_t review_count = 0;
  std::int64_t download_count = 0;
  std::optional<std::string> source_avatar_id;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

// Sums over an avatar's work (avatar_work rows); money in cents.
struct AvatarStats {
  std::int64_t total_tasks = 0;
  std::int64_t completed_tasks = 0;
  double average_work_ms = 0;
  std::int64_t today_cents = 0;
  std::int64_t week_cents = 0;
  std::int64_t month_cents = 0;
  std::int64_t total_cents = 0;
  std::array<std::int64_t, 7> trend_cents{};  // the last 7 UTC days, oldest first, today last
  // As the contract shows them, to two decimals: hours from assignment to completion; percent
  // of assigned tasks completed.
  double average_time_hours() const;
  double success_rate() const;
};

// The UTC boundaries earnings are summed over.
struct EarningsWindows {
  EpochMs today = 0;
  EpochMs week = 0;   // Monday 00:00
  EpochMs month = 0;  // the 1st, 00:00
  static EarningsWindows at(EpochMs now);
};

struct StoreQuery {
  std::vector<std::string> words;  // each must begin a word of the name, role or description
  std::optional<std::string> skill;
  std::string order = "rating";  // relevance (with words) | rating | downloads | price | createdAt
  std::int64_t limit = 20;
  std::int64_t offset = 0;
};

struct ReviewRecord {
  std::string id;
  std::string avatar_id;
  std::string user_id;
  std::int64_t rating = 0;
  std::optional<std::string> comment;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

// One task's work as the avatar side stores it.
struct WorkRecord {
  std::string avatar_id;
  EpochMs assigned_at = 0;
  bool completed = false;
};

class AvatarStore {
 public:
  std::vector<AvatarRecord> list_created_by(db::Connection& c, const std::string& user_id);
  // `lock`: the row stays locked until the transaction ends (PostgreSQL).
  std::optional<AvatarRecord> find(db::Connection& c, const std::string& id, bool lock = false);
  std::vector<AvatarRecord> find_many(db::Connection& c, const std::vector<std::string>& ids);
  void insert(db::Connection& c, const AvatarRecord& a);
  void update(db::Connection& c, const AvatarRecord& a);
  void remove(db::Connection& c, const std::string& id);
  std::int64_t count_created_by(db::Connection& c, const std::string& user_id);

  // Stats of each of `ids` (absent ones have no work), one statement.
  std::vector<std::pair<std::string, AvatarStats>> stats(db::Connection& c,
                                                         const std::vector<std::string>& ids,
                                                         const EarningsWindows& windows);

  std::pair<std::vector<AvatarRecord>, std::int64_t> store(db::Connection& c, const StoreQuery& q);
  // Moves with every change a store answer shows (migration 006's triggers).
  std::int64_t store_revision(db::Connection& c);

  std::optional<WorkRecord> find_work(db::Connection& c, const std::string& task_id);
  // Deletes the work of these tasks; returns the avatars it was theirs (once each or more).
  std::vector<std::string> delete_work(db::Connection& c, const std::vector<std::string>& task_ids);
  void insert_work(db::Connection& c, const std::string& task_id, const std::string& avatar_id,
                   EpochMs assigned_at);
  // Sets the work's progress; completing it fixes its duration and earnings at the price of now.
  void update_work(db::Connection& c, const std::string& task_id, bool in_progress,
                   std::optional<EpochMs> completed_at, std::int64_t work_ms);
  // "working" while one of its tasks is in progress, else "idle" (an "error" stays); returns the
  // status after, and whether it changed.
  // The agent runs as the avatar until `until` (nothing: its run ended).
  void set_agent_run(db::Connection& c, const std::string& avatar_id, std::optional<EpochMs> until);
  std::pair<std::string, bool> refresh_status(db::Connection& c, const std::string& avatar_id,
                                              EpochMs now);

  // False when the user has reviewed this avatar already.
  bool insert_review(db::Connection& c, const ReviewRecord& r);
  // rating = the average of the reviews, to two decimals; reviewCount = their number.
  void refresh_rating(db::Connection& c, const std::string& avatar_id, EpochMs now);
  std::pair<std::vector<ReviewRecord>, std::int64_t> reviews(db::Connection& c,
                                                             const std::string& avatar_id,
                                                             std::int64_t limit,
                                                             std::int64_t offset);

  bool acquired(db::Connection& c, const std::string& user_id, const std::string& avatar_id);
  // False when this user acquired the avatar already.
  bool insert_acquisition(db::Connection& c, const std::string& user_id,
                          const std::string& avatar_id, const std::string& copy_id, EpochMs now);
  void count_download(db::Connection& c, const std::string& avatar_id);
};

}  // namespace karma::avatars
