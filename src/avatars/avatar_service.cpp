#include "avatars/avatar_service.hpp"

#include <algorithm>
#include <unordered_map>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/unicode.hpp"

namespace karma::avatars {

namespace {

constexpr const char* kAvatar = "Avatar";
constexpr std::size_t kMaxSearchWords = 8;

// The words of a store query: runs of letters and digits (any non-ASCII byte counts as a letter,
// so every script searches), lowercased.
std::vector<std::string> search_words(std::string_view q) {
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (!word.empty() && words.size() < kMaxSearchWords) words.push_back(unicode_lower(word));
    word.clear();
  };
  for (const char ch : q) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte >= 0x80 || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
        (ch >= 'A' && ch <= 'Z'))
      word += ch;
    else
      flush();
  }
  flush();
  return words;
}

}  // namespace

AvatarService::AvatarService(db::Database& db, realtime::EventBus& bus, auth::UserDirectory& users,
                             billing::PlanDirectory& plans)
    : db_(db), bus_(bus), users_(users), plans_(plans) {}

AvatarRecord AvatarService::visible(db::Connection& c, const Caller& caller, const std::string& id,
                                    bool lock) {
  // An id that is no UUID names nothing (and PostgreSQL's uuid column would refuse it).
  auto avatar = crypto::is_uuid(id) ? store_.find(c, id, lock) : std::nullopt;
  if (!avatar || (avatar->created_by != caller.user_id && !avatar->is_public))
    throw AppError::not_found(kAvatar);
  return std::move(*avatar);
}

AvatarRecord AvatarService::owned(db::Connection& c, const Caller& caller, const std::string& id) {
  AvatarRecord avatar = visible(c, caller, id, true);
  if (avatar.created_by != caller.user_id)
    throw AppError(ErrorCode::forbidden, "Only the avatar's creator may change it");
  return avatar;
}

std::vector<AvatarView> AvatarService::views(db::Connection& c, const Caller& caller,
                                             std::vector<AvatarRecord> records) {
  std::vector<std::string> ids;
  ids.reserve(records.size());
  for (const auto& r : records) ids.push_back(r.id);
  auto stats = store_.stats(c, ids, EarningsWindows::at(now_ms()));
  std::unordered_map<std::string, AvatarStats> by_id(stats.begin(), stats.end());
  std::vector<AvatarView> out;
  out.reserve(records.size());
  for (auto& r : records) {
    const auto found = by_id.find(r.id);
    const bool show_prompt = r.prompt_author == caller.user_id;
    out.push_back(
        {std::move(r), found == by_id.end() ? AvatarStats{} : found->second, show_prompt});
  }
  return out;
}

std::vector<AvatarView> AvatarService::list(const Caller& caller) {
  auto c = db_.acquire();
  return views(*c, caller, store_.list_created_by(*c, caller.user_id));
}

AvatarView AvatarService::create(const Caller& caller, const NewAvatar& input) {
  AvatarRecord a;
  a.id = crypto::uuid_v4();
  a.created_by = caller.user_id;
  a.name = input.name;
  a.role = input.role;
  a.description = input.description;
  a.avatar_url = input.avatar_url;
  a.skills = input.skills;
  a.is_public = input.is_public;
  a.price = input.price;
  a.base_model = input.base_model;
  a.system_prompt = input.system_prompt;
  a.prompt_author = caller.user_id;
  a.tools = input.tools;
  a.abilities = input.abilities;
  a.created_at = a.updated_at = now_ms();
  db_.transaction([&](db::Connection& c) {
    require_room(c, caller);
    store_.insert(c, a);
  });
  return {std::move(a), {}, true};
}

void AvatarService::require_room(db::Connection& c, const Caller& caller) {
  plans_.require_room(c, caller.user_id, billing::Resource::avatars,
                      [&] { return store_.count_created_by(c, caller.user_id); });
}

AvatarView AvatarService::view(db::Connection& c, const Caller& caller, AvatarRecord record) {
  std::vector<AvatarRecord> one;
  one.push_back(std::move(record));
  auto found = views(c, caller, std::move(one));
  return std::move(found.front());
}

AvatarView AvatarService::get(const Caller& caller, const std::string& id) {
  auto c = db_.acquire();
  return view(*c, caller, visible(*c, caller, id));
}

AvatarView AvatarService::update(const Caller& caller, const std::string& id,
                                 const AvatarChange& change) {
  return db_.transaction([&](db::Connection& c) {
    AvatarRecord a = owned(c, caller, id);
    if (change.name) a.name = *change.name;
    if (change.role) a.role = *change.role;
    if (change.description) a.description = *change.description;
    if (change.avatar_given) a.avatar_url = change.avatar_url;
    if (change.skills) a.skills = *change.skills;
    if (change.is_public) a.is_public = *change.is_public;
    if (change.price_given) a.price = change.price;
    if (change.base_model) a.base_model = *change.base_model;
    if (change.system_prompt) {
      // A buyer who writes a prompt of their own may read it.
      a.system_prompt = *change.system_prompt;
      a.prompt_author = caller.user_id;
    }
    if (change.tools) a.tools = *change.tools;
    if (change.abilities) a.abilities = *change.abilities;
    a.updated_at = now_ms();
    store_.update(c, a);
    return view(c, caller, std::move(a));
  });
}

void AvatarService::remove(const Caller& caller, const std::string& id) {
  db_.transaction([&](db::Connection& c) {
    owned(c, caller, id);
    store_.remove(c, id);
  });
}

std::pair<std::vector<AvatarView>, std::int64_t> AvatarService::store(const Caller& caller,
                                                                      const StoreRequest& request) {
  StoreQuery q;
  if (request.q) q.words = search_words(*request.q);
  q.skill = request.skill;
  q.order = request.sort.value_or(q.words.empty() ? "rating" : "relevance");
  q.limit = request.paging.page_size;
  q.offset = request.paging.offset();
  auto c = db_.acquire();
  auto [records, total] = store_.store(*c, q);
  return {views(*c, caller, std::move(records)), total};
}

void AvatarService::agent_run(const Caller&, const std::string& id, std::optional<EpochMs> until) {
  const auto changes = db_.transaction([&](db::Connection& c) {
    store_.set_agent_run(c, id, until);
    return refresh_statuses(c, {id}, now_ms());
  });
  publish(changes);
}

std::string AvatarService::store_stamp() {
  auto c = db_.acquire();
  constexpr EpochMs kDay = 86'400'000;
  return std::to_string(store_.store_revision(*c)) + '/' + std::to_string(now_ms() / kDay);
}

std::vector<ReviewView> AvatarService::review_views(db::Connection& c,
                                                    std::vector<ReviewRecord> records) {
  std::vector<std::string> user_ids;
  for (const auto& r : records) user_ids.push_back(r.user_id);
  std::unordered_map<std::string, auth::UserProfile> people;
  for (auto& p : users_.profiles(c, user_ids)) people.emplace(p.id, std::move(p));
  std::vector<ReviewView> out;
  out.reserve(records.size());
  for (auto& r : records) {
    const auto person = people.find(r.user_id);
    ReviewView view{std::move(r), {}, {}};
    if (person != people.end()) {
      view.user_name = person->second.name;
      view.user_avatar = person->second.avatar;
    }
    out.push_back(std::move(view));
  }
  return out;
}

ReviewView AvatarService::review(const Caller& caller, const std::string& id,
                                 const NewReview& input) {
  ReviewRecord r;
  r.id = crypto::uuid_v4();
  r.avatar_id = id;
  r.user_id = caller.user_id;
  r.rating = input.rating;
  r.comment = input.comment;
  r.created_at = r.updated_at = now_ms();
  return db_.transaction([&](db::Connection& c) {
    // The lock orders concurrent reviews of one avatar, so each recount sees the ones before.
    const AvatarRecord avatar = visible(c, caller, id, true);
    if (!avatar.is_public) throw AppError::not_found(kAvatar);
    if (avatar.created_by == caller.user_id)
      throw AppError(ErrorCode::forbidden, "You cannot review your own avatar");
    if (!store_.insert_review(c, r))
      throw AppError::conflict("You have reviewed this avatar already", "avatarId");
    store_.refresh_rating(c, id, r.created_at);
    std::vector<ReviewRecord> one;
    one.push_back(std::move(r));
    auto views = review_views(c, std::move(one));
    return std::move(views.front());
  });
}

std::pair<std::vector<ReviewView>, std::int64_t> AvatarService::reviews(const Caller& caller,
                                                                        const std::string& id,
                                                                        const Paging& paging) {
  auto c = db_.acquire();
  visible(*c, caller, id);
  auto [records, total] = store_.reviews(*c, id, paging.page_size, paging.offset());
  return {review_views(*c, std::move(records)), total};
}

AvatarView AvatarService::acquire(const Caller& caller, const std::string& id) {
  return db_.transaction([&](db::Connection& c) {
    const AvatarRecord original = visible(c, caller, id, true);
    if (!original.is_public) throw AppError::not_found(kAvatar);
    if (original.created_by == caller.user_id)
      throw AppError::conflict("This avatar is yours already", "avatarId");
    if (original.price.value_or(0) > 0)
      plans_.require_paid_plan(c, caller.user_id, "A paid avatar needs an active paid plan");
    require_room(c, caller);
    AvatarRecord copy = original;
    copy.id = crypto::uuid_v4();
    copy.created_by = caller.user_id;
    copy.status = "idle";
    copy.is_public = false;
    copy.rating.reset();
    copy.review_count = 0;
    copy.download_count = 0;
    copy.source_avatar_id = original.id;
    copy.created_at = copy.updated_at = now_ms();
    if (!store_.insert_acquisition(c, caller.user_id, original.id, copy.id, copy.created_at))
      throw AppError::conflict("You have acquired this avatar already", "avatarId");
    store_.insert(c, copy);
    store_.count_download(c, original.id);
    return AvatarView{std::move(copy), {}, false};
  });
}

AvatarSummary AvatarService::require_usable(db::Connection& c, const Caller& caller,
                                            const std::string& avatar_id) {
  const AvatarRecord avatar = visible(c, caller, avatar_id);
  if (avatar.created_by != caller.user_id && !store_.acquired(c, caller.user_id, avatar.id))
    throw AppError(ErrorCode::forbidden, "Acquire this avatar from the store to give it work");
  return {avatar.id, avatar.name, avatar.avatar_url, avatar.created_by};
}

std::vector<AvatarSummary> AvatarService::summaries(db::Connection& c,
                                                    const std::vector<std::string>& ids) {
  std::vector<AvatarSummary> out;
  for (auto& a : store_.find_many(c, ids))
    out.push_back(
        {std::move(a.id), std::move(a.name), std::move(a.avatar_url), std::move(a.created_by)});
  return out;
}

std::vector<AvatarStatusChange> AvatarService::record_work(db::Connection& c,
                                                           const TaskWork& work) {
  const auto before = store_.find_work(c, work.task_id);
  std::vector<std::string> touched;
  if (before && before->avatar_id != work.avatar_id)
    touched = store_.delete_work(c, {work.task_id});
  const bool completed = work.status == "completed";
  if (work.avatar_id) {
    EpochMs assigned_at = work.now;
    bool was_completed = false;
    if (before && before->avatar_id == *work.avatar_id) {
      assigned_at = before->assigned_at;
      was_completed = before->completed;
    } else {
      store_.insert_work(c, work.task_id, *work.avatar_id, work.now);
    }
    // A completion keeps its moment and earnings until the task leaves completed.
    if (!(completed && was_completed))
      store_.update_work(c, work.task_id, work.status == "in_progress",
                         completed ? std::optional<EpochMs>(work.now) : std::nullopt,
                         work.now - assigned_at);
    touched.push_back(*work.avatar_id);
  }
  return refresh_statuses(c, touched, work.now);
}

std::vector<AvatarStatusChange> AvatarService::forget_work(db::Connection& c,
                                                           const std::vector<std::string>& task_ids,
                                                           EpochMs now) {
  return refresh_statuses(c, store_.delete_work(c, task_ids), now);
}

std::vector<AvatarStatusChange> AvatarService::refresh_statuses(
    db::Connection& c, const std::vector<std::string>& avatar_ids, EpochMs now) {
  std::vector<AvatarStatusChange> changes;
  // find_many reads each avatar once, however often it is named.
  for (const auto& avatar : store_.find_many(c, avatar_ids)) {
    auto [status, changed] = store_.refresh_status(c, avatar.id, now);
    if (changed) changes.push_back({avatar.id, avatar.created_by, status});
  }
  return changes;
}

void AvatarService::publish(const std::vector<AvatarStatusChange>& changes) {
  for (const auto& change : changes)
    bus_.publish(realtime::topics::user(change.owner_id),
                 {"avatar_status",
                  change.owner_id,
                  {{"avatarId", change.avatar_id}, {"status", change.status}}});
}

}  // namespace karma::avatars
