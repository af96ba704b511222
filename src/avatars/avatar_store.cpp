#include "avatars/avatar_store.hpp"

#include <chrono>

#include "db/sql.hpp"

namespace karma::avatars {

using db::Timestamp;
using db::Value;

namespace {

constexpr EpochMs kDayMs = 86'400'000;
constexpr std::size_t kAvatarColumns = 21;  // what columns() selects, read by avatar_from()

// Qualified with "a.": the store's search joins tables with columns of the same names.
std::string columns(db::Dialect d) {
  return "a.id, a.created_by, a.name, a.role, a.description, a.avatar_url, " +
         db::text_array_select(d, "a.skills") +
         ", a.status, a.base_model, a.system_prompt, a.prompt_author, " +
         db::text_array_select(d, "a.tools") +
         ", a.abilities, a.is_public, a.price, a.rating, a.review_count, a.download_count, "
         "a.source_avatar_id, a.created_at, a.updated_at";
}

AvatarRecord avatar_from(db::Row& r) {
  AvatarRecord a;
  a.id = r.take_text(0);
  a.created_by = r.take_text(1);
  a.name = r.take_text(2);
  a.role = r.take_text(3);
  a.description = r.take_text(4);
  a.avatar_url = r.take_opt_text(5);
  a.skills = db::decode_text_array(r.text(6));
  a.status = r.is_null(7) ? "idle" : r.text(7);
  a.base_model = r.take_text(8);
  a.system_prompt = r.take_text(9);
  a.prompt_author = r.is_null(10) ? a.created_by : r.text(10);
  a.tools = db::decode_text_array(r.text(11));
  a.abilities = r.is_null(12) ? "{}" : r.text(12);
  a.is_public = r.boolean(13);
  if (!r.is_null(14)) a.price = r.real(14);
  if (!r.is_null(15)) a.rating = r.real(15);
  a.review_count = r.integer(16);
  a.download_count = r.integer(17);
  a.source_avatar_id = r.opt_text(18);
  a.created_at = r.time(19);
  a.updated_at = r.time(20);
  return a;
}

std::vector<AvatarRecord> avatars_from(db::Result result) {
  std::vector<AvatarRecord> out;
  out.reserve(result.rows.size());
  for (auto& row : result.rows) out.push_back(avatar_from(row));
  return out;
}

Value optional_text(const std::optional<std::string>& text) {
  return text ? Value(*text) : Value(nullptr);
}

Value optional_number(const std::optional<double>& number) {
  return number ? Value(*number) : Value(nullptr);
}

// The dialect's full-text query for words that all must start a word of the avatar's text.
std::string match_query(db::Dialect d, const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += d == db::Dialect::sqlite ? " " : " & ";
    const char quote = d == db::Dialect::sqlite ? '"' : '\'';
    out += quote;
    for (char ch : word) {
      if (ch == quote) out += quote;  // both syntaxes escape a quote by doubling it
      out += ch;
    }
    out += quote;
    out += d == db::Dialect::sqlite ? "*" : ":*";
  }
  return out;
}

}  // namespace

EarningsWindows EarningsWindows::at(EpochMs now) {
  using namespace std::chrono;
  const EpochMs day = now - ((now % kDayMs) + kDayMs) % kDayMs;
  const sys_days today{days{day / kDayMs}};
  const year_month_day date{today};
  const weekday wd{today};
  const EpochMs monday = day - static_cast<EpochMs>((wd.iso_encoding() - 1)) * kDayMs;
  const sys_days first{date.year() / date.month() / 1};
  return {day, monday, static_cast<EpochMs>(first.time_since_epoch().count()) * kDayMs};
}

std::vector<AvatarRecord> AvatarStore::list_created_by(db::Connection& c,
                                                       const std::string& user_id) {
  return avatars_from(c.query("SELECT " + columns(c.dialect()) +
                                  " FROM avatars a WHERE a.created_by = $1 "
                                  "ORDER BY a.created_at DESC, a.id DESC",
                              {user_id}));
}

std::optional<AvatarRecord> AvatarStore::find(db::Connection& c, const std::string& id, bool lock) {
  std::string sql = "SELECT " + columns(c.dialect()) + " FROM avatars a WHERE a.id = $1";
  if (lock) sql += db::row_lock(c.dialect());
  auto r = c.query(sql, {id});
  if (r.empty()) return std::nullopt;
  return avatar_from(r.rows.front());
}

std::vector<AvatarRecord> AvatarStore::find_many(db::Connection& c,
                                                 const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  return avatars_from(c.query("SELECT " + columns(c.dialect()) + " FROM avatars a WHERE " +
                                  db::id_in(c.dialect(), "a.id", 1),
                              {db::id_list(c.dialect(), ids)}));
}

void AvatarStore::insert(db::Connection& c, const AvatarRecord& a) {
  const auto d = c.dialect();
  c.query(
      "INSERT INTO avatars (id, created_by, name, role, description, avatar_url, skills, status, "
      "base_model, system_prompt, prompt_author, tools, abilities, is_public, price, rating, "
      "review_count, download_count, source_avatar_id, created_at, updated_at) VALUES ($1, $2, "
      "$3, $4, $5, $6, " +
          db::text_array_param(d, 7) + ", $8, $9, $10, $11, " + db::text_array_param(d, 12) +
          ", $13, $14, $15, $16, $17, $18, $19, $20, $21)",
      {a.id,
       a.created_by,
       a.name,
       a.role,
       a.description,
       optional_text(a.avatar_url),
       db::encode_text_array(a.skills),
       a.status,
       a.base_model,
       a.system_prompt,
       a.prompt_author,
       db::encode_text_array(a.tools),
       a.abilities,
       a.is_public,
       optional_number(a.price),
       optional_number(a.rating),
       a.review_count,
       a.download_count,
       optional_text(a.source_avatar_id),
       Timestamp{a.created_at},
       Timestamp{a.updated_at}});
}

void AvatarStore::update(db::Connection& c, const AvatarRecord& a) {
  const auto d = c.dialect();
  c.query("UPDATE avatars SET name = $2, role = $3, description = $4, avatar_url = $5, skills = " +
              db::text_array_param(d, 6) +
              ", base_model = $7, system_prompt = $8, prompt_author = $9, tools = " +
              db::text_array_param(d, 10) +
              ", abilities = $11, is_public = $12, price = $13, updated_at = $14 WHERE id = $1",
          {a.id, a.name, a.role, a.description, optional_text(a.avatar_url),
           db::encode_text_array(a.skills), a.base_model, a.system_prompt, a.prompt_author,
           db::encode_text_array(a.tools), a.abilities, a.is_public, optional_number(a.price),
           Timestamp{a.updated_at}});
}

void AvatarStore::remove(db::Connection& c, const std::string& id) {
  c.query("DELETE FROM avatars WHERE id = $1", {id});
}

std::int64_t AvatarStore::count_created_by(db::Connection& c, const std::string& user_id) {
  return c.query("SELECT COUNT(*) FROM avatars WHERE created_by = $1", {user_id})
      .first()
      .integer(0);
}

std::vector<std::pair<std::string, AvatarStats>> AvatarStore::stats(
    db::Connection& c, const std::vector<std::string>& ids, const EarningsWindows& windows) {
  std::vector<std::pair<std::string, AvatarStats>> out;
  if (ids.empty()) return out;
  db::Params params{db::id_list(c.dialect(), ids), Timestamp{windows.today},
                    Timestamp{windows.week}, Timestamp{windows.month}};
  const auto earned_since = [](int n) {
    return "COALESCE(SUM(CASE WHEN completed_at >= $" + std::to_string(n) +
           " THEN earned_cents END), 0)";
  };
  std::string sql =
      "SELECT avatar_id, COUNT(*), COUNT(completed_at), COALESCE(AVG(work_ms), 0), "
      "COALESCE(SUM(earned_cents), 0), " +
      earned_since(2) + ", " + earned_since(3) + ", " + earned_since(4);
  // Days 0..5 of the trend (6 is today): [start of day i, start of day i + 1).
  for (int i = 0; i < 6; ++i) {
    params.emplace_back(Timestamp{windows.today - (6 - i) * kDayMs});
    const std::string from = "$" + std::to_string(params.size());
    const std::string to = i == 5 ? "$2" : "$" + std::to_string(params.size() + 1);
    sql += ", COALESCE(SUM(CASE WHEN completed_at >= " + from + " AND completed_at < " + to +
           " THEN earned_cents END), 0)";
  }
  sql +=
      " FROM avatar_work WHERE " + db::id_in(c.dialect(), "avatar_id", 1) + " GROUP BY avatar_id";
  const auto result = c.query(sql, params);
  out.reserve(result.rows.size());
  for (const auto& row : result.rows) {
    AvatarStats s;
    s.total_tasks = row.integer(1);
    s.completed_tasks = row.integer(2);
    s.average_work_ms = row.real(3);
    s.total_cents = row.integer(4);
    s.today_cents = row.integer(5);
    s.week_cents = row.integer(6);
    s.month_cents = row.integer(7);
    for (std::size_t i = 0; i < 6; ++i) s.trend_cents[i] = row.integer(8 + i);
    s.trend_cents[6] = s.today_cents;
    out.emplace_back(row.text(0), s);
  }
  return out;
}

std::pair<std::vector<AvatarRecord>, std::int64_t> AvatarStore::store(db::Connection& c,
                                                                      const StoreQuery& q) {
  const auto d = c.dialect();
  db::Params params;
  std::string from;
  std::string rank;
  const bool search = !q.words.empty();
  if (search) params.emplace_back(match_query(d, q.words));
  if (search && d == db::Dialect::sqlite && q.order == "relevance" && !q.skill) {
    // The common search: ranked by relevance, nothing else to filter. The index holds public
    // avatars only, so it alone ranks, pages and counts; only the page's rows are joined.
    const std::string matches = " FROM avatar_search WHERE avatar_search MATCH $1";
    auto result = c.query(
        "SELECT " + columns(d) + ", (SELECT COUNT(*)" + matches +
            ") FROM (SELECT rowid AS key, bm25(avatar_search, 10.0, 4.0, 1.0) AS rank" + matches +
            " ORDER BY rank, rowid LIMIT $2 OFFSET $3) s CROSS JOIN avatar_search_keys k ON "
            "k.key = s.key CROSS JOIN avatars a ON a.id = k.avatar_id ORDER BY s.rank, s.key",
        {params[0], q.limit, q.offset});
    const std::int64_t total = result.empty()
                                   ? c.query("SELECT COUNT(*)" + matches, params).first().integer(0)
                                   : result.first().integer(kAvatarColumns);
    return {avatars_from(std::move(result)), total};
  }
  if (search && d == db::Dialect::sqlite) {
    // CROSS JOIN fixes the order: the index finds the matches first. Left to itself the
    // planner counts by walking every public avatar into the index (seconds, not milliseconds).
    from =
        " FROM avatar_search CROSS JOIN avatar_search_keys k ON k.key = avatar_search.rowid "
        "CROSS JOIN avatars a ON a.id = k.avatar_id WHERE avatar_search MATCH $1 AND "
        "a.is_public = 1";
    // Weights of name, role, description; bm25 is lower for better matches.
    rank = "bm25(avatar_search, 10.0, 4.0, 1.0)";
  } else if (search) {
    from = " FROM avatars a WHERE a.is_public AND a.search @@ to_tsquery('simple', $1)";
    rank = "-ts_rank(a.search, to_tsquery('simple', $1))";
  } else {
    from = d == db::Dialect::sqlite ? " FROM avatars a WHERE a.is_public = 1"
                                    : " FROM avatars a WHERE a.is_public";
  }
  if (q.skill) {
    params.emplace_back(*q.skill);
    from += " AND " + db::text_array_contains(d, "a.skills", static_cast<int>(params.size()));
  }
  std::string order;
  if (q.order == "rating" || (q.order == "relevance" && !search))
    order = "a.rating DESC NULLS LAST, a.review_count DESC";
  else if (q.order == "downloads")
    order = "a.download_count DESC";
  else if (q.order == "price")
    order = "COALESCE(a.price, 0) ASC";
  else if (q.order == "createdAt")
    order = "a.created_at DESC";
  else
    order = rank;
  db::Params page = params;
  page.emplace_back(q.limit);
  page.emplace_back(q.offset);
  const std::string sql = "SELECT " + columns(d) + ", (SELECT COUNT(*)" + from + ")" + from +
                          " ORDER BY " + order + ", a.id LIMIT $" +
                          std::to_string(page.size() - 1) + " OFFSET $" +
                          std::to_string(page.size());
  auto result = c.query(sql, page);
  const std::int64_t total = result.empty()
                                 ? c.query("SELECT COUNT(*)" + from, params).first().integer(0)
                                 : result.first().integer(kAvatarColumns);
  return {avatars_from(std::move(result)), total};
}

std::optional<WorkRecord> AvatarStore::find_work(db::Connection& c, const std::string& task_id) {
  const auto r = c.query(
      "SELECT avatar_id, assigned_at, completed_at FROM avatar_work "
      "WHERE task_id = $1" +
          std::string(db::row_lock(c.dialect())),
      {task_id});
  if (r.empty()) return std::nullopt;
  return WorkRecord{r.first().text(0), r.first().time(1), !r.first().is_null(2)};
}

std::vector<std::string> AvatarStore::delete_work(db::Connection& c,
                                                  const std::vector<std::string>& task_ids) {
  std::vector<std::string> avatar_ids;
  if (task_ids.empty()) return avatar_ids;
  auto result = c.query("DELETE FROM avatar_work WHERE " + db::id_in(c.dialect(), "task_id", 1) +
                            " RETURNING avatar_id",
                        {db::id_list(c.dialect(), task_ids)});
  for (auto& row : result.rows) avatar_ids.push_back(row.take_text(0));
  return avatar_ids;
}

void AvatarStore::insert_work(db::Connection& c, const std::string& task_id,
                              const std::string& avatar_id, EpochMs assigned_at) {
  c.query(
      "INSERT INTO avatar_work (task_id, avatar_id, in_progress, assigned_at) "
      "VALUES ($1, $2, $3, $4)",
      {task_id, avatar_id, false, Timestamp{assigned_at}});
}

void AvatarStore::update_work(db::Connection& c, const std::string& task_id, bool in_progress,
                              std::optional<EpochMs> completed_at, std::int64_t work_ms) {
  if (!completed_at) {
    c.query(
        "UPDATE avatar_work SET in_progress = $2, completed_at = NULL, work_ms = NULL, "
        "earned_cents = NULL WHERE task_id = $1",
        {task_id, in_progress});
    return;
  }
  c.query(
      "UPDATE avatar_work SET in_progress = $2, completed_at = $3, work_ms = $4, earned_cents = "
      "(SELECT CAST(ROUND(COALESCE(price, 0) * 100) AS BIGINT) FROM avatars "
      "WHERE avatars.id = avatar_work.avatar_id) WHERE task_id = $1",
      {task_id, in_progress, Timestamp{*completed_at}, work_ms});
}

std::pair<std::string, bool> AvatarStore::refresh_status(db::Connection& c,
                                                         const std::string& avatar_id,
                                                         EpochMs now) {
  const auto r = c.query(
      "SELECT status, EXISTS (SELECT 1 FROM avatar_work WHERE avatar_id = $1 AND in_progress) "
      "OR (agent_run_until IS NOT NULL AND agent_run_until > $2) FROM avatars WHERE id = $1",
      {avatar_id, Timestamp{now}});
  if (r.empty()) return {"idle", false};
  const std::string before = r.first().is_null(0) ? "idle" : r.first().text(0);
  if (before == "error") return {before, false};
  const std::string after = r.first().boolean(1) ? "working" : "idle";
  if (after == before) return {before, false};
  c.query("UPDATE avatars SET status = $2, updated_at = $3 WHERE id = $1",
          {avatar_id, after, Timestamp{now}});
  return {after, true};
}

void AvatarStore::set_agent_run(db::Connection& c, const std::string& avatar_id,
                                std::optional<EpochMs> until) {
  c.query("UPDATE avatars SET agent_run_until = $2 WHERE id = $1",
          {avatar_id, until ? Value(Timestamp{*until}) : Value(nullptr)});
}

bool AvatarStore::insert_review(db::Connection& c, const ReviewRecord& r) {
  return c.query(
              "INSERT INTO avatar_reviews (id, avatar_id, user_id, rating, comment, "
              "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
              "ON CONFLICT (avatar_id, user_id) DO NOTHING",
              {r.id, r.avatar_id, r.user_id, r.rating, optional_text(r.comment),
               Timestamp{r.created_at}, Timestamp{r.updated_at}})
             .affected == 1;
}

void AvatarStore::refresh_rating(db::Connection& c, const std::string& avatar_id, EpochMs now) {
  c.query(
      "UPDATE avatars SET rating = (SELECT ROUND(AVG(rating) * 100) / 100.0 FROM avatar_reviews "
      "WHERE avatar_id = $1), review_count = (SELECT COUNT(*) FROM avatar_reviews WHERE "
      "avatar_id = $1), updated_at = $2 WHERE id = $1",
      {avatar_id, Timestamp{now}});
}

std::pair<std::vector<ReviewRecord>, std::int64_t> AvatarStore::reviews(
    db::Connection& c, const std::string& avatar_id, std::int64_t limit, std::int64_t offset) {
  const auto result = c.query(
      "SELECT id, avatar_id, user_id, rating, comment, created_at, updated_at, "
      "(SELECT COUNT(*) FROM avatar_reviews WHERE avatar_id = $1) FROM avatar_reviews "
      "WHERE avatar_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
      {avatar_id, limit, offset});
  std::vector<ReviewRecord> out;
  out.reserve(result.rows.size());
  for (const auto& r : result.rows)
    out.push_back(
        {r.text(0), r.text(1), r.text(2), r.integer(3), r.opt_text(4), r.time(5), r.time(6)});
  const std::int64_t total =
      result.empty()
          ? c.query("SELECT COUNT(*) FROM avatar_reviews WHERE avatar_id = $1", {avatar_id})
                .first()
                .integer(0)
          : result.first().integer(7);
  return {std::move(out), total};
}

bool AvatarStore::acquired(db::Connection& c, const std::string& user_id,
                           const std::string& avatar_id) {
  return !c.query("SELECT 1 FROM avatar_acquisitions WHERE user_id = $1 AND avatar_id = $2",
                  {user_id, avatar_id})
              .empty();
}

bool AvatarStore::insert_acquisition(db::Connection& c, const std::string& user_id,
                                     const std::string& avatar_id, const std::string& copy_id,
                                     EpochMs now) {
  return c.query(
              "INSERT INTO avatar_acquisitions (user_id, avatar_id, copy_id, acquired_at) "
              "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, avatar_id) DO NOTHING",
              {user_id, avatar_id, copy_id, Timestamp{now}})
             .affected == 1;
}

void AvatarStore::count_download(db::Connection& c, const std::string& avatar_id) {
  c.query("UPDATE avatars SET download_count = download_count + 1 WHERE id = $1", {avatar_id});
}

std::int64_t AvatarStore::store_revision(db::Connection& c) {
  return c.query("SELECT revision FROM store_revision WHERE id = 1").rows.at(0).integer(0);
}

}  // namespace karma::avatars
