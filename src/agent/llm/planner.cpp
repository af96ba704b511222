#include "agent/llm/planner.hpp"

#include <boost/json.hpp>

#include <array>
#include <optional>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/unicode.hpp"

namespace karma::agent {

namespace bj = boost::json;

namespace {

bool has_any(const std::string& text, std::initializer_list<std::string_view> words) {
  for (const auto w : words)
    if (text.find(w) != std::string::npos) return true;
  return false;
}

// The entry of state[list] whose name (or id) the text mentions; the longest name wins.
const bj::object* mentioned(const bj::value& state, std::string_view list,
                            const std::string& text) {
  const bj::object* best = nullptr;
  std::size_t best_length = 0;
  const auto* items = state.is_object() ? state.as_object().if_contains(list) : nullptr;
  if (!items || !items->is_array()) return nullptr;
  for (const auto& item : items->as_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.as_object();
    for (const char* key : {"name", "id"}) {
      const auto* v = o.if_contains(key);
      if (!v || !v->is_string() || v->get_string().empty()) continue;
      const std::string name = unicode_lower(v->get_string());
      if (text.find(name) != std::string::npos && name.size() > best_length) {
        best = &o;
        best_length = name.size();
      }
    }
  }
  return best;
}

std::string trimmed(std::string s) {
  const auto strip = [](char c) {
    return c == ' ' || c == '"' || c == '\'' || c == '.' || c == '?';
  };
  while (!s.empty() && strip(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && strip(s[i])) ++i;
  return s.substr(i);
}

const StoredMessage* last_of(const std::vector<StoredMessage>& messages, std::string_view role) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->role == role) return &*it;
  return nullptr;
}

struct Call {
  std::string tool;
  bj::object args;
};

struct Plan {
  std::optional<Call> call;
  std::string say;  // said before the call, or the whole answer
};

// "assign task <title> to <avatar>" / "把任务<title>分配给<avatar>": the title.
std::optional<std::string> task_to_assign(const std::string& t) {
  if (const auto at = t.find("把任务"); at != std::string::npos) {
    const auto begin = at + std::string_view("把任务").size();
    const auto to = t.find("分配给", begin);
    if (to != std::string::npos && to > begin) return trimmed(t.substr(begin, to - begin));
  }
  const auto assign = t.find("assign ");
  if (assign == std::string::npos) return std::nullopt;
  auto begin = t.find("task ", assign);
  if (begin == std::string::npos) return std::nullopt;
  begin += 5;
  const auto to = t.rfind(" to ");
  if (to == std::string::npos || to <= begin) return std::nullopt;
  return trimmed(t.substr(begin, to - begin));
}

// "search|find [my] <kind>[s] [about|for|named|called] <words>" / "搜索[关于]<words>的<kind>":
// the kind and the words.
std::optional<std::pair<std::string, std::string>> search_request(const std::string& t) {
  static constexpr std::pair<std::string_view, std::string_view> kKinds[] = {
      {"project", "项目"}, {"task", "任务"}, {"device", "设备"}, {"avatar", "分身"}};
  for (const std::string_view verb : {"搜索", "查找"}) {
    auto begin = t.find(verb);
    if (begin == std::string::npos) continue;
    begin += verb.size();
    if (t.compare(begin, std::string_view("关于").size(), "关于") == 0)
      begin += std::string_view("关于").size();
    for (const auto& [kind, word] : kKinds) {
      const auto of = t.find(std::string("的") + std::string(word), begin);
      if (of != std::string::npos && of > begin)
        return std::pair{std::string(kind), trimmed(t.substr(begin, of - begin))};
    }
  }
  for (const std::string_view verb : {"search ", "find "}) {
    auto at = t.find(verb);
    if (at == std::string::npos) continue;
    at += verb.size();
    if (t.compare(at, 3, "my ") == 0) at += 3;
    for (const auto& [kind, word] : kKinds) {
      if (t.compare(at, kind.size(), kind) != 0) continue;
      at += kind.size();
      if (at < t.size() && t[at] == 's') ++at;
      for (const std::string_view joint : {" about ", " for ", " named ", " called ", " "})
        if (t.compare(at, joint.size(), joint) == 0) {
          const std::string words = trimmed(t.substr(at + joint.size()));
          if (!words.empty()) return std::pair{std::string(kind), words};
        }
    }
  }
  return std::nullopt;
}

// The app's pages by the words that name them.
struct Page {
  std::array<std::string_view, 3> words;  // unused ones empty
  const char* path;
};
const Page kPages[] = {{{"device", "设备"}, "/devices"},
                       {{"project", "项目"}, "/projects"},
                       {{"store", "商店"}, "/store"},
                       {{"avatar", "分身"}, "/avatars"},
                       {{"billing", "subscription", "订阅"}, "/billing"}};

std::string time_range(const std::string& t) {
  if (has_any(t, {"today", "今天", "今日"})) return "day";
  if (has_any(t, {"month", "本月", "这个月", "月"})) return "month";
  return "week";
}

// The request in the user's words, read against the shared state.
Plan plan_request(const std::string& said, const bj::value& state) {
  const std::string t = unicode_lower(said);
  if (auto title = task_to_assign(t)) {
    // Find the task first; the answer to the search goes on with the assignment.
    return {Call{"searchDatabase", {{"type", "task"}, {"query", *title}}},
            "Looking for the task first."};
  }
  if (has_any(t, {"reboot", "restart", "重启", "shutdown", "shut down", "关机", "firmware", "固件",
                  "ping"})) {
    const bj::object* device = mentioned(state, "devices", t);
    if (!device) return {std::nullopt, "Which device? I could not find one by that name."};
    const std::string command = has_any(t, {"reboot", "restart", "重启"})       ? "reboot"
                                : has_any(t, {"shutdown", "shut down", "关机"}) ? "shutdown"
                                : has_any(t, {"firmware", "固件"})              ? "update_firmware"
                                                                                : "ping";
    return {Call{"controlDevice", {{"deviceId", device->at("id")}, {"command", command}}},
            "Sending " + command + " to " + std::string(device->at("name").as_string()) + "."};
  }
  if (has_any(t, {"how is", "how's", "performance", "doing", "表现", "业绩", "怎么样", "如何"})) {
    const bj::object* avatar = mentioned(state, "avatars", t);
    if (!avatar) return {std::nullopt, "Which avatar? I could not find one by that name."};
    return {
        Call{"analyzePerformance", {{"avatarId", avatar->at("id")}, {"timeRange", time_range(t)}}},
        ""};
  }
  if (auto search = search_request(t))
    return {Call{"searchDatabase", {{"type", search->first}, {"query", search->second}}}, ""};
  if (has_any(t, {"device", "设备"}) &&
      has_any(t, {"list", "show", "which", "列出", "显示", "哪些", "查看"})) {
    std::string query;
    if (has_any(t, {"offline", "离线"}))
      query = "offline";
    else if (has_any(t, {"online", "在线"}))
      query = "online";
    return {Call{"searchDatabase", {{"type", "device"}, {"query", query}, {"limit", 50}}}, ""};
  }
  if (has_any(t, {"go to", "open the", "navigate", "打开", "跳转", "前往"})) {
    for (const auto& [words, path] : kPages)
      for (const std::string_view w : words)
        if (!w.empty() && t.find(w) != std::string::npos)
          return {Call{"navigateTo", {{"path", path}}}, ""};
  }
  return {std::nullopt,
          "I can list your devices (\"list online devices\"), control one (\"reboot device "
          "Atlas\"), assign a task to an avatar (\"assign task Write docs to avatar Ada\"), tell "
          "how an avatar is doing (\"how is Ada doing this week\") and search your projects "
          "(\"search projects about launch\")."};
}

std::string list_names(const bj::array& results, std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < results.size() && i < 10; ++i) {
    const auto& r = results[i].as_object();
    if (i > 0) out += ", ";
    out += std::string(r.at(field).as_string());
    if (const auto* status = r.if_contains("status"))
      out += " (" + std::string(status->as_string()) + ")";
  }
  return out;
}

// What to say, or do next, once a tool answered.
Plan plan_after(const StoredMessage& result, const std::vector<StoredMessage>& messages,
                const bj::value& state) {
  boost::system::error_code ec;
  const bj::value content = bj::parse(result.content, ec);
  if (ec || !content.is_object()) return {std::nullopt, "Done."};
  const auto& c = content.as_object();
  if (c.contains("cancelled")) return {std::nullopt, "Cancelled: nothing was done."};
  if (const auto* error = c.if_contains("error"); error && error->is_string())
    return {std::nullopt, "That did not work: " + std::string(error->get_string())};
  if (const auto* results = c.if_contains("results"); results && results->is_array()) {
    const auto& found = results->as_array();
    const std::string type(c.at("type").as_string());
    const StoredMessage* asked = last_of(messages, "user");
    const std::string t = asked ? unicode_lower(asked->content) : std::string();
    if (type == "task" && (has_any(t, {"assign"}) || has_any(t, {"分配"}))) {
      if (found.size() != 1)
        return {std::nullopt, found.empty() ? "I found no task by that name."
                                            : "Several tasks match: " + list_names(found, "title") +
                                                  ". Which one?"};
      const std::size_t to = t.rfind(has_any(t, {"分配给"}) ? "分配给" : " to ");
      const bj::object* avatar =
          mentioned(state, "avatars", to == std::string::npos ? t : t.substr(to));
      if (!avatar) return {std::nullopt, "Which avatar? I could not find one by that name."};
      return {Call{"assignTask", {{"taskId", found[0].at("id")}, {"avatarId", avatar->at("id")}}},
              ""};
    }
    if (found.empty()) return {std::nullopt, "I found no " + type + "s matching that."};
    const std::string field = type == "task" ? "title" : "name";
    return {std::nullopt, "Found " + std::to_string(c.at("total").to_number<std::int64_t>()) + " " +
                              type + (found.size() == 1 ? "" : "s") + ": " +
                              list_names(found, field) + "."};
  }
  if (c.contains("taskId"))
    return {std::nullopt,
            "Assigned \"" + std::string(c.at("title").as_string()) + "\" to " +
                (c.at("assignee").is_string() ? std::string(c.at("assignee").as_string())
                                              : std::string("the avatar")) +
                "."};
  if (c.contains("command"))
    return {std::nullopt, "Queued " + std::string(c.at("command").as_string()) +
                              " for the device (command " + std::string(c.at("id").as_string()) +
                              ")."};
  if (c.contains("completedTasks")) {
    const std::string range(c.at("timeRange").as_string());
    const std::string window = range == "day"     ? "today"
                               : range == "month" ? "this month"
                                                  : "this week";
    char earned[64];
    std::snprintf(earned, sizeof earned, "%.2f", c.at("earnings").to_number<double>());
    return {std::nullopt, std::string(c.at("name").as_string()) + ": " +
                              std::to_string(c.at("completedTasks").to_number<std::int64_t>()) +
                              " of " +
                              std::to_string(c.at("totalTasks").to_number<std::int64_t>()) +
                              " tasks completed, earned " + earned + " " + window + "."};
  }
  return {std::nullopt, "Done."};
}

}  // namespace

void Planner::complete(const ModelRequest& request, ModelOutput& out) {
  if (request.messages.empty()) {
    out.text("Hello! What can I do for you?");
    return;
  }
  const StoredMessage& last = request.messages.back();
  const Plan plan = last.role == "tool"   ? plan_after(last, request.messages, request.state)
                    : last.role == "user" ? plan_request(last.content, request.state)
                                          : Plan{std::nullopt, ""};
  if (!plan.say.empty()) out.text(plan.say);
  if (!plan.call || out.cancelled()) return;
  const bool offered = std::any_of(request.tools.begin(), request.tools.end(),
                                   [&](const ToolSpec& t) { return t.name == plan.call->tool; });
  if (!offered) {
    out.text(" (The " + plan.call->tool + " tool is not available here.)");
    return;
  }
  const std::string id = "call_" + crypto::uuid_v4();
  out.tool_call_start(id, plan.call->tool);
  out.tool_call_args(id, json::serialize(plan.call->args));
  out.tool_call_end(id);
}

}  // namespace karma::agent
