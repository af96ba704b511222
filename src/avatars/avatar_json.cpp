#include "avatars/avatar_json.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

#include <cmath>

#include "core/clock.hpp"
#include "core/json.hpp"

namespace karma::avatars {

namespace bj = boost::json;

namespace {

const StringRule kNameRule{1, 100};
const StringRule kRoleRule{1, 100};
const StringRule kDescriptionRule{0, 5000};
const StringRule kUrlRule{0, 2048};
const StringRule kSkillRule{1, 64};
const StringRule kModelRule{1, 100};
const StringRule kPromptRule{0, 20000, false};
const StringRule kToolRule{1, 64};
const StringRule kCommentRule{0, 2000};
constexpr std::size_t kMaxSkills = 32;
constexpr double kMaxPrice = 1'000'000;

std::optional<double> read_price(JsonFields& fields) {
  auto price = fields.number("price", 0, kMaxPrice, false);
  if (price) {
    const double cents = *price * 100;
    if (std::abs(cents - std::round(cents)) > 1e-6) {
      fields.reject("price", "must have at most two decimals", *price);
      return std::nullopt;
    }
  }
  return price;
}

std::optional<std::vector<std::string>> read_tools(JsonFields& fields, bool required) {
  auto tools = fields.string_array("tools", kAgentTools.size(), kToolRule, required);
  if (!tools) return tools;
  for (const auto& tool : *tools) {
    if (std::find(kAgentTools.begin(), kAgentTools.end(), tool) == kAgentTools.end()) {
      fields.reject("tools", "must name tools the agent knows: " + join(kAgentTools, ", "),
                    bj::string(tool));
      return std::nullopt;
    }
  }
  return tools;
}

std::optional<std::string> read_abilities(JsonFields& fields) {
  const bj::object* raw = fields.object("abilities", false);
  if (!raw) return std::nullopt;
  JsonFields inner = fields.nested("abilities", *raw);
  bj::object abilities;
  for (const std::string_view key : kAbilities)
    abilities[key] = inner.number(key, 0, 100, false).value_or(0);
  return json::serialize(abilities);
}

// The stored abilities with every key present (rows older than a key read 0 for it).
void append_abilities(std::string& out, std::string_view stored) {
  boost::system::error_code ec;
  const bj::value parsed = bj::parse(stored, ec);
  out += '{';
  bool first = true;
  for (const std::string_view key : kAbilities) {
    if (!first) out += ',';
    first = false;
    json::append_quoted(out, key);
    out += ':';
    const bj::value* v = !ec && parsed.is_object() ? parsed.as_object().if_contains(key) : nullptr;
    json::append_number(out, v && v->is_number() ? v->to_number<double>() : 0.0);
  }
  out += '}';
}

void append_money(std::string& out, std::int64_t cents) {
  json::append_number(out, money(cents));
}

double two_decimals(double value) {
  return std::round(value * 100) / 100;
}

}  // namespace

double AvatarStats::average_time_hours() const {
  return two_decimals(average_work_ms / 3'600'000.0);
}

double AvatarStats::success_rate() const {
  return total_tasks == 0
             ? 0.0
             : two_decimals(100.0 * completed_tasks / static_cast<double>(total_tasks));
}

void append_avatar_json(std::string& out, const AvatarView& view) {
  const AvatarRecord& a = view.record;
  const AvatarStats& s = view.stats;
  const auto text = [&out](std::string_view key, std::string_view value) {
    out += key;
    json::append_quoted(out, value);
  };
  text("{\"id\":", a.id);
  text(",\"name\":", a.name);
  text(",\"role\":", a.role);
  text(",\"description\":", a.description);
  out += ",\"avatar\":";
  json::append_quoted_or_null(out, a.avatar_url);
  out += ",\"skills\":";
  json::append_string_array(out, a.skills);
  text(",\"status\":", a.status);
  out += ",\"performance\":{\"totalTasks\":" + std::to_string(s.total_tasks) +
         ",\"completedTasks\":" + std::to_string(s.completed_tasks) + ",\"averageTime\":";
  json::append_number(out, s.average_time_hours());
  out += ",\"successRate\":";
  json::append_number(out, s.success_rate());
  out += "},\"abilities\":";
  append_abilities(out, a.abilities);
  out += ",\"earnings\":{\"today\":";
  append_money(out, s.today_cents);
  out += ",\"thisWeek\":";
  append_money(out, s.week_cents);
  out += ",\"thisMonth\":";
  append_money(out, s.month_cents);
  out += ",\"total\":";
  append_money(out, s.total_cents);
  out += ",\"trend\":[";
  for (std::size_t i = 0; i < s.trend_cents.size(); ++i) {
    if (i > 0) out += ',';
    append_money(out, s.trend_cents[i]);
  }
  out += "]}";
  text(",\"createdBy\":", a.created_by);
  out += a.is_public ? ",\"isPublic\":true" : ",\"isPublic\":false";
  if (a.rating) {
    out += ",\"rating\":";
    json::append_number(out, *a.rating);
  }
  out += ",\"reviewCount\":" + std::to_string(a.review_count);
  if (a.price) {
    out += ",\"price\":";
    json::append_number(out, *a.price);
  }
  text(",\"baseModel\":", a.base_model);
  if (view.show_prompt) text(",\"systemPrompt\":", a.system_prompt);
  out += ",\"tools\":";
  json::append_string_array(out, a.tools);
  out += ",\"downloadCount\":" + std::to_string(a.download_count);
  text(",\"createdAt\":", iso8601(a.created_at));
  text(",\"updatedAt\":", iso8601(a.updated_at));
  out += '}';
}

std::string avatar_json(const AvatarView& avatar) {
  std::string out;
  out.reserve(1024);
  append_avatar_json(out, avatar);
  return out;
}

void append_review_json(std::string& out, const ReviewView& view) {
  const ReviewRecord& r = view.review;
  out += "{\"id\":";
  json::append_quoted(out, r.id);
  out += ",\"avatarId\":";
  json::append_quoted(out, r.avatar_id);
  out += ",\"userId\":";
  json::append_quoted(out, r.user_id);
  out += ",\"userName\":";
  json::append_quoted(out, view.user_name);
  out += ",\"userAvatar\":";
  json::append_quoted_or_null(out, view.user_avatar);
  out += ",\"rating\":" + std::to_string(r.rating) + ",\"comment\":";
  json::append_quoted_or_null(out, r.comment);
  out += ",\"createdAt\":";
  json::append_quoted(out, iso8601(r.created_at));
  out += ",\"updatedAt\":";
  json::append_quoted(out, iso8601(r.updated_at));
  out += '}';
}

NewAvatar parse_new_avatar(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  NewAvatar a;
  auto name = fields.string("name", kNameRule, true);
  auto role = fields.string("role", kRoleRule, true);
  auto description = fields.string("description", kDescriptionRule, true);
  a.avatar_url = fields.string("avatar", kUrlRule, false);
  auto skills = fields.string_array("skills", kMaxSkills, kSkillRule, true);
  auto is_public = fields.boolean("isPublic", true);
  a.price = read_price(fields);
  auto model = fields.string("baseModel", kModelRule, true);
  auto prompt = fields.string("systemPrompt", kPromptRule, true);
  auto tools = read_tools(fields, false);
  auto abilities = read_abilities(fields);
  violations.throw_if_any();
  a.name = *name;
  a.role = *role;
  a.description = *description;
  a.skills = *skills;
  a.is_public = *is_public;
  a.base_model = *model;
  a.system_prompt = *prompt;
  a.tools = tools.value_or(std::vector<std::string>{});
  a.abilities = abilities.value_or("{}");
  return a;
}

AvatarChange parse_avatar_change(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  AvatarChange c;
  c.name = fields.string("name", kNameRule, false);
  c.role = fields.string("role", kRoleRule, false);
  c.description = fields.string("description", kDescriptionRule, false);
  if (body.contains("avatar")) {
    c.avatar_given = true;
    c.avatar_url = fields.string("avatar", kUrlRule, false);
  }
  c.skills = fields.string_array("skills", kMaxSkills, kSkillRule, false);
  c.is_public = fields.boolean("isPublic", false);
  if (body.contains("price")) {
    c.price_given = true;
    c.price = read_price(fields);
  }
  c.base_model = fields.string("baseModel", kModelRule, false);
  c.system_prompt = fields.string("systemPrompt", kPromptRule, false);
  c.tools = read_tools(fields, false);
  c.abilities = read_abilities(fields);
  violations.throw_if_any();
  return c;
}

StoreRequest parse_store_request(const std::vector<std::pair<std::string, std::string>>& params) {
  Violations violations;
  QueryFields query(params, violations);
  StoreRequest r;
  r.q = query.string("q", 100);
  if (r.q && trim(*r.q).empty()) r.q.reset();
  r.skill = query.string("skill", 64);
  r.sort = query.optional_one_of("sort", kStoreSorts);
  r.paging = read_paging(query);
  violations.throw_if_any();
  return r;
}

NewReview parse_new_review(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  NewReview r;
  auto rating = fields.integer("rating", 1, 5, true);
  r.comment = fields.string("comment", kCommentRule, false);
  violations.throw_if_any();
  r.rating = *rating;
  return r;
}

void add_avatar_schemas(http::Components& components) {
  using namespace http::schema;
  const auto abilities = [](bool input) {
    std::initializer_list<std::pair<std::string_view, http::Schema>> fields{
        {"coding", number(0, 100)},
        {"design", number(0, 100)},
        {"writing", number(0, 100)},
        {"analysis", number(0, 100)},
        {"communication", number(0, 100)}};
    return input ? http::schema::input(fields)
                 : object(fields, {"coding", "design", "writing", "analysis", "communication"});
  };
  const auto money = described(number(0), "in the currency of the avatar's price");
  components.add(
      "Avatar",
      object({{"id", uuid()},
              {"name", string(100)},
              {"role", string(100)},
              {"description", string(5000)},
              {"avatar", nullable(string(2048))},
              {"skills", array(string(64))},
              {"status", one_of(kAvatarStatuses)},
              {"performance",
               object({{"totalTasks", described(integer(0), "tasks assigned to the avatar")},
                       {"completedTasks", integer(0)},
                       {"averageTime", described(number(0),
                                                 "hours from assignment to "
                                                 "completion, over completed tasks")},
                       {"successRate",
                        described(number(0, 100), "percent of assigned tasks completed")}},
                      {"totalTasks", "completedTasks", "averageTime", "successRate"})},
              {"abilities", abilities(false)},
              {"earnings",
               object({{"today", money},
                       {"thisWeek", described(number(0), "since Monday 00:00 UTC")},
                       {"thisMonth", described(number(0), "since the 1st, 00:00 UTC")},
                       {"total", money},
                       {"trend", described(array(number(0)),
                                           "the last 7 UTC days, oldest first, today last")}},
                      {"today", "thisWeek", "thisMonth", "total", "trend"})},
              {"createdBy", uuid()},
              {"isPublic", boolean()},
              {"rating", described(number(1, 5), "average review, absent without reviews")},
              {"reviewCount", integer(0)},
              {"price", described(number(0), "per task; absent: free")},
              {"baseModel", string(100)},
              {"systemPrompt", described(string(20000), "shown to its author only")},
              {"tools", array(one_of(kAgentTools))},
              {"downloadCount", integer(0)},
              {"createdAt", date_time()},
              {"updatedAt", date_time()}},
             {"id", "name", "role", "description", "avatar", "skills", "status", "performance",
              "abilities", "earnings", "createdBy", "isPublic", "reviewCount", "baseModel", "tools",
              "downloadCount", "createdAt", "updatedAt"}));
  components.add(
      "NewAvatar",
      input({{"name", string(100, 1)},
             {"role", string(100, 1)},
             {"description", string(5000)},
             {"avatar", nullable(string(2048))},
             {"skills", array(string(64, 1))},
             {"isPublic", boolean()},
             {"price", described(number(0, kMaxPrice), "per task, at most two decimals")},
             {"baseModel", string(100, 1)},
             {"systemPrompt", string(20000)},
             {"tools", array(one_of(kAgentTools))},
             {"abilities", abilities(true)}},
            {"name", "role", "description", "skills", "isPublic", "baseModel", "systemPrompt"}));
  components.add("AvatarChange", input({{"name", string(100, 1)},
                                        {"role", string(100, 1)},
                                        {"description", string(5000)},
                                        {"avatar", nullable(string(2048))},
                                        {"skills", array(string(64, 1))},
                                        {"isPublic", boolean()},
                                        {"price", nullable(number(0, kMaxPrice))},
                                        {"baseModel", string(100, 1)},
                                        {"systemPrompt", string(20000)},
                                        {"tools", array(one_of(kAgentTools))},
                                        {"abilities", abilities(true)}}));
  components.add("Review", object({{"id", uuid()},
                                   {"avatarId", uuid()},
                                   {"userId", uuid()},
                                   {"userName", string()},
                                   {"userAvatar", nullable(string())},
                                   {"rating", integer(1, 5)},
                                   {"comment", nullable(string(2000))},
                                   {"createdAt", date_time()},
                                   {"updatedAt", date_time()}},
                                  {"id", "avatarId", "userId", "userName", "userAvatar", "rating",
                                   "comment", "createdAt", "updatedAt"}));
  components.add("NewReview",
                 input({{"rating", integer(1, 5)}, {"comment", string(2000)}}, {"rating"}));
}

std::vector<http::Parameter> store_parameters() {
  using namespace http::schema;
  std::vector<http::Parameter> out{
      {"q", string(100), "words the name, role or description must contain (ranked)"},
      {"skill", string(64), "an exact skill"},
      {"sort", one_of(kStoreSorts),
       "rating (best first), downloads (most first), price (cheapest first), createdAt (newest "
       "first); default: relevance with q, rating without"}};
  for (auto& p : http::paging_parameters()) out.push_back(std::move(p));
  return out;
}

}  // namespace karma::avatars
