#include "agent/llm/planner.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>

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

// The first UUID written in the text (ids are accepted wherever a name is).
std::optional<std::string> uuid_in(std::string_view text) {
  constexpr std::size_t kLength = 36;
  for (std::size_t i = 0; i + kLength <= text.size(); ++i)
    if (crypto::is_uuid(text.substr(i, kLength))) return std::string(text.substr(i, kLength));
  return std::nullopt;
}

// The entry of state[list] whose name or id the text mentions (the longest name wins), or else
// one named by a UUID in the text that the state does not list (the tool checks it is the
// caller's).
std::optional<bj::object> mentioned(const bj::value& state, std::string_view list,
                                    const std::string& text) {
  const bj::object* best = nullptr;
  std::size_t best_length = 0;
  const auto* items = state.is_object() ? state.as_object().if_contains(list) : nullptr;
  if (items && items->is_array())
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
  if (best) return *best;
  if (auto id = uuid_in(text)) return bj::object{{"id", *id}, {"name", *id}};
  return std::nullopt;
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

// What a request is read with: the message lowercased (`text`) and as written (`said`), the
// shared state and the tools this run offers.
struct Request {
  const std::string& text;
  const std::string& said;
  const bj::value& state;
  const std::vector<ToolSpec>& tools;

  // The message as written from `at` (a position in `text`) on, when lowering kept positions.
  std::string said_from(std::size_t at) const {
    return trimmed((said.size() == text.size() ? said : text).substr(at));
  }
};

// "assign task <title or id> to <avatar>" / "把任务<title>分配给<avatar>": the title.
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

// The part of an assignment that names the avatar: after " to " / "分配给".
std::string assignee_part(const std::string& t) {
  const std::size_t to = t.rfind(has_any(t, {"分配给"}) ? "分配给" : " to ");
  return to == std::string::npos ? t : t.substr(to);
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

// The app's dialogs (openModal's modalType) by the words that name them.
struct Dialog {
  std::array<std::string_view, 4> words;
  const char* modal_type;
};
const Dialog kDialogs[] = {
    {{"new project", "create project", "新建项目", "创建项目"}, "createProject"},
    {{"new task", "create task", "新建任务", "创建任务"}, "createTask"},
    {{"new device", "add device", "添加设备", "新建设备"}, "addDevice"},
    {{"new avatar", "create avatar", "创建分身", "新建分身"}, "createAvatar"},
    {{"upgrade", "subscribe", "升级", "订阅"}, "subscribe"}};

std::string time_range(const std::string& t) {
  if (has_any(t, {"today", "今天", "今日"})) return "day";
  if (has_any(t, {"month", "本月", "这个月", "月"})) return "month";
  return "week";
}

// Each intent reads one kind of request; the first that recognises the message plans it.

std::optional<Plan> assign_task(const Request& r) {
  auto title = task_to_assign(r.text);
  if (!title) return std::nullopt;
  if (crypto::is_uuid(*title)) {  // named by its id: no search needed
    const auto avatar = mentioned(r.state, "avatars", assignee_part(r.text));
    if (!avatar) return Plan{std::nullopt, "Which avatar? I could not find one by that name."};
    return Plan{Call{"assignTask", {{"taskId", *title}, {"avatarId", avatar->at("id")}}}, ""};
  }
  // Find the task first; the answer to the search goes on with the assignment.
  return Plan{Call{"searchDatabase", {{"type", "task"}, {"query", *title}}},
              "Looking for the task first."};
}

std::optional<Plan> control_device(const Request& r) {
  if (!has_any(r.text, {"reboot", "restart", "重启", "shutdown", "shut down", "关机", "firmware",
                        "固件", "ping"}))
    return std::nullopt;
  const auto device = mentioned(r.state, "devices", r.text);
  if (!device) return Plan{std::nullopt, "Which device? I could not find one by that name."};
  const std::string command = has_any(r.text, {"reboot", "restart", "重启"})       ? "reboot"
                              : has_any(r.text, {"shutdown", "shut down", "关机"}) ? "shutdown"
                              : has_any(r.text, {"firmware", "固件"}) ? "update_firmware"
                                                                      : "ping";
  return Plan{Call{"controlDevice", {{"deviceId", device->at("id")}, {"command", command}}},
              "Sending " + command + " to " + std::string(device->at("name").as_string()) + "."};
}

std::optional<Plan> avatar_performance(const Request& r) {
  if (!has_any(r.text,
               {"how is", "how's", "performance", "doing", "表现", "业绩", "怎么样", "如何"}))
    return std::nullopt;
  const auto avatar = mentioned(r.state, "avatars", r.text);
  if (!avatar) return Plan{std::nullopt, "Which avatar? I could not find one by that name."};
  return Plan{Call{"analyzePerformance",
                   {{"avatarId", avatar->at("id")}, {"timeRange", time_range(r.text)}}},
              ""};
}

std::optional<Plan> search(const Request& r) {
  auto found = search_request(r.text);
  if (!found) return std::nullopt;
  return Plan{Call{"searchDatabase", {{"type", found->first}, {"query", found->second}}}, ""};
}

std::optional<Plan> show_notification(const Request& r) {
  if (!has_any(r.text, {"notification", "notify", "通知", "提醒"})) return std::nullopt;
  std::string message;
  for (const std::string_view cue : {"saying", "that says", "says", ":", "：", "说", "内容是"})
    if (const auto at = r.text.find(cue); at != std::string::npos) {
      message = r.said_from(at + cue.size());
      break;
    }
  if (message.empty()) return std::nullopt;
  const std::string type = has_any(r.text, {"error", "错误"})     ? "error"
                           : has_any(r.text, {"warning", "警告"}) ? "warning"
                           : has_any(r.text, {"success", "成功"}) ? "success"
                                                                  : "info";
  const bool chinese = has_any(r.text, {"通知", "提醒"});
  return Plan{
      Call{"showNotification",
           {{"title", chinese ? "通知" : "Notification"}, {"message", message}, {"type", type}}},
      ""};
}

std::optional<Plan> open_dialog(const Request& r) {
  if (!has_any(r.text, {"dialog", "modal", "form", "对话框", "弹窗", "窗口"})) return std::nullopt;
  for (const auto& [words, modal_type] : kDialogs)
    for (const std::string_view w : words)
      if (!w.empty() && r.text.find(w) != std::string::npos)
        return Plan{Call{"openModal", {{"modalType", modal_type}}}, ""};
  return std::nullopt;
}

std::optional<Plan> list_devices(const Request& r) {
  if (!has_any(r.text, {"device", "设备"}) ||
      !has_any(r.text, {"list", "show", "which", "列出", "显示", "哪些", "查看"}))
    return std::nullopt;
  std::string query;
  if (has_any(r.text, {"offline", "离线"}))
    query = "offline";
  else if (has_any(r.text, {"online", "在线"}))
    query = "online";
  return Plan{Call{"searchDatabase", {{"type", "device"}, {"query", query}, {"limit", 50}}}, ""};
}

std::optional<Plan> go_to_page(const Request& r) {
  if (!has_any(r.text, {"go to", "open the", "navigate", "take me", "打开", "跳转", "前往", "去"}))
    return std::nullopt;
  for (const auto& [words, path] : kPages)
    for (const std::string_view w : words)
      if (!w.empty() && r.text.find(w) != std::string::npos)
        return Plan{Call{"navigateTo", {{"path", path}}}, ""};
  return std::nullopt;
}

// The words of a tool's name ("setTheme" → set, theme) and description, lowercased, once each.
std::set<std::string> words_of(const ToolSpec& tool) {
  std::set<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (word.size() > 2) words.insert(word);
    word.clear();
  };
  for (const char ch : tool.name) {
    if (std::isupper(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-') flush();
    if (std::isalnum(static_cast<unsigned char>(ch)))
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  flush();
  for (const char ch : unicode_lower(tool.description)) {
    if (std::isalnum(static_cast<unsigned char>(ch)))
      word += ch;
    else
      flush();
  }
  flush();
  return words;
}

// A tool the page declared, asked for by its purpose: the one whose name and description share
// the most words with the message (two at least, or its name). Its enum arguments take the value
// the message names.
std::optional<Plan> declared_tool(const Request& r) {
  const ToolSpec* best = nullptr;
  int best_score = 0;
  for (const ToolSpec& tool : r.tools) {
    if (tool.backend || find_builtin(tool.name)) continue;
    int score = r.text.find(unicode_lower(tool.name)) != std::string::npos ? 2 : 0;
    for (const std::string& word : words_of(tool))
      if (r.text.find(word) != std::string::npos) ++score;
    if (score >= 2 && score > best_score) {
      best = &tool;
      best_score = score;
    }
  }
  if (!best) return std::nullopt;
  bj::object args;
  if (const auto* props = best->parameters.if_contains("properties"); props && props->is_object())
    for (const auto& [name, schema] : props->as_object()) {
      const auto* values = schema.is_object() ? schema.as_object().if_contains("enum") : nullptr;
      if (!values || !values->is_array()) continue;
      for (const auto& v : values->as_array())
        if (v.is_string() && r.text.find(unicode_lower(v.get_string())) != std::string::npos) {
          args[name] = v;
          break;
        }
    }
  return Plan{Call{best->name, std::move(args)}, ""};
}

struct Intent {
  const char* what;  // as the fallback answer lists it
  std::optional<Plan> (*read)(const Request&);
};

// In order: the first intent that recognises a message plans it. Extend here.
const Intent kIntents[] = {
    {"assign a task to an avatar (\"assign task Write docs to avatar Ada\")", assign_task},
    {"control a device (\"reboot device Atlas\")", control_device},
    {"tell how an avatar is doing (\"how is Ada doing this week\")", avatar_performance},
    {"search your projects (\"search projects about launch\")", search},
    {"show a notification (\"show a notification saying hi\")", show_notification},
    {"open a dialog (\"open the new project dialog\")", open_dialog},
    {"list your devices (\"list online devices\")", list_devices},
    {"go to a page (\"go to the projects page\")", go_to_page},
    {"run a tool of this page by its purpose", declared_tool},
};

// The request in the user's words, read against the shared state.
Plan plan_request(const std::string& said, const bj::value& state,
                  const std::vector<ToolSpec>& tools) {
  const std::string text = unicode_lower(said);
  const Request request{text, said, state, tools};
  for (const Intent& intent : kIntents)
    if (auto plan = intent.read(request)) return std::move(*plan);
  std::string can = "I can ";
  for (std::size_t i = 0; i < std::size(kIntents); ++i)
    can += std::string(i == 0                         ? ""
                       : i + 1 == std::size(kIntents) ? " and "
                                                      : ", ") +
           kIntents[i].what;
  return {std::nullopt, can + "."};
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
      const auto avatar = mentioned(state, "avatars", assignee_part(t));
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
                    : last.role == "user" ? plan_request(last.content, request.state, request.tools)
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
