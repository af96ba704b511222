// A model-based, differential test of the stores (issue #20): RapidCheck generates random
// sequences of API operations — avatars, the store (search, sort, paging), reviews, acquiring,
// projects, members, tasks, assignments, devices, commands, and hostile requests — by three users,
// the wrong one as often as the right one. Each step runs on SQLite *and* PostgreSQL; what each
// answers (status, then every list the three users can see and the store's search results) is
// compared with a plain in-memory model of the rules, below in one place. A failure prints the
// seed and the shortest sequence RapidCheck could shrink it to.
//
// Both servers keep the plans' real limits. Each test case registers fresh users; everything a
// case puts in the store carries the case's tag (a skill and a word of its description), so store
// queries see only that case's avatars. RC_PARAMS sets the number of cases (scripts/test --soak N).
#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "test_server.hpp"
// After GoogleTest, which its bridge needs.
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

// ---------------------------------------------------------------------------------------------
// The model: what the API promises, as plain data and rules.

constexpr int kUsers = 3;
// The free plan (API.md §6): devices / avatars (created and acquired) / projects created.
constexpr int kMaxDevices = 3, kMaxAvatars = 2, kMaxProjects = 3;
const std::vector<std::string> kWords = {"alpha", "beta", "gamma", "delta"};
const std::vector<std::string> kSkills = {"cpp", "sql", "design"};
// Names may end in emoji or right-to-left text: stored and shown as sent.
const std::vector<std::string> kSuffixes = {"", " \xF0\x9F\x98\x80",
                                            " \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7"};
const std::vector<std::string> kRoles = {"viewer", "member", "admin", "owner"};
const std::vector<std::string> kTaskStatuses = {"todo", "in_progress", "review", "completed"};
const std::vector<std::string> kSorts = {"", "rating", "downloads", "price", "createdAt"};
// Store search terms: words, prefixes, and FTS/tsquery syntax that must stay plain text.
const std::vector<std::string> kSearchTerms = {"alpha", "al", "gam", "writer", "wri", "zz",   "OR",
                                               "-",     "*",  "\"",  "NEAR(",  "a'b", "del*", "b"};

struct MAvatar {
  int owner = 0;
  std::string name;
  std::string word;  // of its description
  std::string skill;
  bool is_public = false;
  std::optional<int> price_cents;
  std::map<int, int> reviews;  // user → rating
  int downloads = 0;
  bool alive = true;
};

struct MProject {
  std::string name;
  int creator = 0;
  std::map<int, std::string> roles;  // user → role
  bool alive = true;
};

struct MTask {
  int project = 0;
  std::string status = "todo";
  std::optional<int> assignee;  // avatar
  bool alive = true;
};

struct MDevice {
  int owner = 0;
  int serial = 0;
  int commands = 0;
  bool alive = true;
};

struct Model {
  std::vector<MAvatar> avatars;
  std::vector<MProject> projects;
  std::vector<MTask> tasks;
  std::vector<MDevice> devices;
  std::set<std::pair<int, int>> acquired;  // (user, original avatar)

  int avatars_of(int user) const {
    return static_cast<int>(std::count_if(avatars.begin(), avatars.end(), [&](const MAvatar& a) {
      return a.alive && a.owner == user;
    }));
  }
  int projects_created_by(int user) const {
    return static_cast<int>(std::count_if(projects.begin(), projects.end(), [&](const MProject& p) {
      return p.alive && p.creator == user;
    }));
  }
  int devices_of(int user) const {
    return static_cast<int>(std::count_if(devices.begin(), devices.end(), [&](const MDevice& d) {
      return d.alive && d.owner == user;
    }));
  }
  bool visible(int user, int avatar) const {
    const MAvatar& a = avatars[avatar];
    return a.alive && (a.owner == user || a.is_public);
  }
  // The caller's rank in a live project: -1 when not a member (404 for every project route).
  int rank(int user, int project) const {
    const MProject& p = projects[project];
    if (!p.alive) return -1;
    const auto it = p.roles.find(user);
    if (it == p.roles.end()) return -1;
    return static_cast<int>(std::find(kRoles.begin(), kRoles.end(), it->second) - kRoles.begin());
  }
  int owners(int project) const {
    int n = 0;
    for (const auto& [user, role] : projects[project].roles) n += role == "owner";
    return n;
  }
  // 404 unless a member, 403 below `minimum`, else 0.
  int require_role(int user, int project, const std::string& minimum) const {
    const int r = rank(user, project);
    if (r < 0) return 404;
    const int need =
        static_cast<int>(std::find(kRoles.begin(), kRoles.end(), minimum) - kRoles.begin());
    return r < need ? 403 : 0;
  }
  // Whether `user` may give `avatar` work: 404 unless visible, 403 unless theirs or acquired.
  int usable(int user, int avatar) const {
    if (!visible(user, avatar)) return 404;
    if (avatars[avatar].owner != user && !acquired.contains({user, avatar})) return 403;
    return 0;
  }
  void forget_tasks_of(int project) {
    for (auto& t : tasks)
      if (t.project == project) t.alive = false;
  }
};

// The words a store query searches for (avatar_service's rule: runs of letters and digits,
// non-ASCII bytes count as letters, lowercased, at most 8).
std::vector<std::string> search_words(const std::string& q) {
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (!word.empty() && words.size() < 8) words.push_back(word);
    word.clear();
  };
  for (const char ch : q) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte >= 0x80 || std::isalnum(byte))
      word += static_cast<char>(std::tolower(byte));
    else
      flush();
  }
  flush();
  return words;
}

// Rating in hundredths as the store rounds it (half up), none without reviews.
std::optional<int> rating_hundredths(const MAvatar& a) {
  if (a.reviews.empty()) return std::nullopt;
  int sum = 0;
  for (const auto& [user, rating] : a.reviews) sum += rating;
  const int n = static_cast<int>(a.reviews.size());
  return (sum * 200 + n) / (2 * n);
}

// ---------------------------------------------------------------------------------------------
// The system under test: the same operations on two servers, ids mapped to the model's handles.

TestServer& model_server(const std::string& backend) {
  return shared_server("model-" + backend, [&] {
    Config config = test_config(backend);
    config.plan_limit_overrides = {};
    return config;
  });
}

struct Backend {
  std::string name;
  std::unique_ptr<http::HttpClient> client;
  std::vector<Account> users;
  std::vector<std::string> avatars, projects, tasks, devices;  // ids by model handle
  std::vector<std::string> avatar_created;                     // createdAt by avatar handle

  ClientResponse call(int user, const std::string& method, const std::string& path,
                      const std::string& payload = {}) {
    return client->request(method, path, payload, bearer(users[user].access_token));
  }
  static int handle_of(const std::vector<std::string>& ids, std::string_view id) {
    const auto it = std::find(ids.begin(), ids.end(), id);
    return it == ids.end() ? -1 : static_cast<int>(it - ids.begin());
  }
  int user_of(std::string_view id) const {
    for (int u = 0; u < kUsers; ++u)
      if (users[u].id == id) return u;
    return -1;
  }
};

struct Sut {
  std::string tag;  // in every store entry of this case
  std::vector<Backend> backends;

  Sut() {
    tag = "zq";
    for (const char byte : crypto::random_bytes(10))
      tag += static_cast<char>('a' + static_cast<unsigned char>(byte) % 26);
    for (const std::string backend : {"sqlite", "postgres"}) {
      Backend b;
      b.name = backend;
      b.client = model_server(backend).client();
      for (int u = 0; u < kUsers; ++u) b.users.push_back(register_account(*b.client));
      backends.push_back(std::move(b));
    }
  }
};

[[noreturn]] void mismatch(const Backend& b, const std::string& what, const std::string& got,
                           const std::string& want) {
  RC_FAIL(b.name + ": " + what + "\n  got:  " + got + "\n  want: " + want);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : " | ") + s;
  return out;
}

// What `user` is shown at `path` (200 expected), parsed.
bj::value shown(Backend& b, int user, const std::string& path) {
  const auto r = b.call(user, "GET", path);
  if (r.status != 200) mismatch(b, "GET " + path, r.body, "200");
  return r.json();
}

// Two lists compared as sets.
void expect_same_set(const Backend& b, const std::string& what, std::vector<std::string> got,
                     std::vector<std::string> want) {
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  if (got != want) mismatch(b, what, join(got), join(want));
}

// ---------------------------------------------------------------------------------------------
// Observations after every step: what each user's lists and the store show.

std::string avatar_line(int handle, const std::string& name, bool is_public,
                        const std::string& status, std::int64_t total, std::int64_t completed) {
  return "a" + std::to_string(handle) + " " + name + (is_public ? " public " : " private ") +
         status + " " + std::to_string(completed) + "/" + std::to_string(total);
}

void check_avatar_lists(const Model& m, Backend& b) {
  for (int u = 0; u < kUsers; ++u) {
    std::vector<std::string> got, want;
    const bj::value json = shown(b, u, "/api/avatars");
    for (const auto& a : json.at("data").at("avatars").as_array()) {
      const auto& perf = a.at("performance");
      got.push_back(avatar_line(Backend::handle_of(b.avatars, a.at("id").as_string()),
                                std::string(a.at("name").as_string()), a.at("isPublic").as_bool(),
                                std::string(a.at("status").as_string()),
                                perf.at("totalTasks").to_number<std::int64_t>(),
                                perf.at("completedTasks").to_number<std::int64_t>()));
    }
    for (int h = 0; h < static_cast<int>(m.avatars.size()); ++h) {
      const MAvatar& a = m.avatars[h];
      if (!a.alive || a.owner != u) continue;
      int total = 0, completed = 0;
      bool working = false;
      for (const MTask& t : m.tasks) {
        if (!t.alive || t.assignee != h) continue;
        ++total;
        completed += t.status == "completed";
        working = working || t.status == "in_progress";
      }
      want.push_back(
          avatar_line(h, a.name, a.is_public, working ? "working" : "idle", total, completed));
    }
    expect_same_set(b, "avatars of user " + std::to_string(u), got, want);
  }
}

void check_project_lists(const Model& m, Backend& b) {
  for (int u = 0; u < kUsers; ++u) {
    std::vector<std::string> got, want;
    const bj::value json = shown(b, u, "/api/projects");
    for (const auto& p : json.at("data").at("projects").as_array()) {
      std::vector<std::string> parts;
      for (const auto& member : p.at("members").as_array())
        parts.push_back("u" + std::to_string(b.user_of(member.at("userId").as_string())) + ":" +
                        std::string(member.at("role").as_string()));
      for (const auto& t : p.at("tasks").as_array()) {
        const auto* assignee = t.as_object().if_contains("assignee");
        parts.push_back("t" + std::to_string(Backend::handle_of(b.tasks, t.at("id").as_string())) +
                        ":" + std::string(t.at("status").as_string()) +
                        (assignee && assignee->is_object()
                             ? ":a" + std::to_string(Backend::handle_of(
                                          b.avatars, assignee->at("id").as_string()))
                             : std::string()));
      }
      std::sort(parts.begin(), parts.end());
      got.push_back("p" + std::to_string(Backend::handle_of(b.projects, p.at("id").as_string())) +
                    " " + std::string(p.at("name").as_string()) + " " +
                    std::to_string(p.at("progress").to_number<std::int64_t>()) + "% " +
                    join(parts));
    }
    for (int h = 0; h < static_cast<int>(m.projects.size()); ++h) {
      const MProject& p = m.projects[h];
      if (!p.alive || !p.roles.contains(u)) continue;
      std::vector<std::string> parts;
      for (const auto& [user, role] : p.roles)
        parts.push_back("u" + std::to_string(user) + ":" + role);
      int tasks = 0, completed = 0;
      for (int t = 0; t < static_cast<int>(m.tasks.size()); ++t) {
        const MTask& task = m.tasks[t];
        if (!task.alive || task.project != h) continue;
        ++tasks;
        completed += task.status == "completed";
        parts.push_back("t" + std::to_string(t) + ":" + task.status +
                        (task.assignee ? ":a" + std::to_string(*task.assignee) : std::string()));
      }
      std::sort(parts.begin(), parts.end());
      const int progress = tasks ? (200 * completed + tasks) / (2 * tasks) : 0;
      want.push_back("p" + std::to_string(h) + " " + p.name + " " + std::to_string(progress) +
                     "% " + join(parts));
    }
    expect_same_set(b, "projects of user " + std::to_string(u), got, want);
  }
}

void check_device_lists(const Model& m, Backend& b) {
  for (int u = 0; u < kUsers; ++u) {
    std::vector<std::string> got, want;
    const bj::value json = shown(b, u, "/api/devices?pageSize=100");
    for (const auto& d : json.at("data").at("devices").as_array())
      got.push_back("d" + std::to_string(Backend::handle_of(b.devices, d.at("id").as_string())));
    for (int h = 0; h < static_cast<int>(m.devices.size()); ++h)
      if (m.devices[h].alive && m.devices[h].owner == u) want.push_back("d" + std::to_string(h));
    got.push_back("total " + std::to_string(json.at("data").at("total").to_number<int>()));
    want.push_back("total " + std::to_string(want.size()));
    expect_same_set(b, "devices of user " + std::to_string(u), got, want);
  }
}

struct StoreQuery {
  std::vector<std::string> terms;  // searched together with the case's tag; none: browse
  std::optional<std::string> skill;
  std::string sort;  // "" = the default order
  int page = 1, page_size = 100;

  std::string target(const Sut& sut) const {
    std::string path = "/api/store/avatars?pageSize=" + std::to_string(page_size) +
                       "&page=" + std::to_string(page);
    if (!terms.empty()) {
      std::string q = sut.tag;
      for (const auto& t : terms) q += " " + t;
      path += "&q=" + url_encode(q);
      if (skill) path += "&skill=" + *skill;
    } else {
      path += "&skill=" + sut.tag;  // browsing: only this case's avatars
    }
    if (!sort.empty()) path += "&sort=" + sort;
    return path;
  }
  // Relevance differs by design between the engines (bm25 / ts_rank): compare those as sets.
  bool ordered() const { return terms.empty() || !sort.empty(); }

  static std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += ch;
      } else {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
    return out;
  }

  // The model's answer on backend `b` (ties break on the backend's ids): the page and the total.
  std::pair<std::vector<std::string>, int> expected(const Model& m, const Backend& b,
                                                    const Sut& sut) const {
    std::vector<std::string> words;
    if (!terms.empty()) {
      std::string q = sut.tag;
      for (const auto& t : terms) q += " " + t;
      words = search_words(q);
    }
    std::vector<int> found;
    for (int h = 0; h < static_cast<int>(m.avatars.size()); ++h) {
      const MAvatar& a = m.avatars[h];
      if (!a.alive || !a.is_public) continue;
      // Browsing filters on the case's tag, which every avatar of the model carries.
      if (!terms.empty() && skill && *skill != a.skill) continue;
      const auto tokens = search_words(a.name + " writer " + sut.tag + " " + a.word);
      const bool matches = std::all_of(words.begin(), words.end(), [&](const std::string& w) {
        return std::any_of(tokens.begin(), tokens.end(),
                           [&](const std::string& t) { return t.starts_with(w); });
      });
      if (matches) found.push_back(h);
    }
    const std::string order = sort.empty() ? "rating" : sort;
    const auto key = [&](int h) {
      const MAvatar& a = m.avatars[h];
      long primary = 0;  // ascending
      if (order == "rating")
        primary = -rating_hundredths(a).value_or(-1) * 1000 - static_cast<long>(a.reviews.size());
      if (order == "downloads") primary = -a.downloads;
      if (order == "price") primary = a.price_cents.value_or(0);
      return std::tuple(primary, order == "createdAt" ? b.avatar_created[h] : std::string(),
                        b.avatars[h]);
    };
    std::sort(found.begin(), found.end(), [&](int x, int y) {
      auto kx = key(x), ky = key(y);
      if (order == "createdAt" && std::get<1>(kx) != std::get<1>(ky))
        return std::get<1>(kx) > std::get<1>(ky);  // newest first
      return kx < ky;
    });
    const int total = static_cast<int>(found.size());
    std::vector<std::string> page_items;
    for (int i = (page - 1) * page_size; i < std::min(total, page * page_size); ++i)
      page_items.push_back(store_line(m, found[i]));
    return {page_items, total};
  }

  static std::string store_line(const Model& m, int h) {
    const MAvatar& a = m.avatars[h];
    const auto rating = rating_hundredths(a);
    return "a" + std::to_string(h) + " rating " + (rating ? std::to_string(*rating) : "-") + "/" +
           std::to_string(a.reviews.size()) + " downloads " + std::to_string(a.downloads);
  }

  void check(const Model& m, Backend& b, const Sut& sut) const {
    const auto r = b.client->request("GET", target(sut), {}, bear(b));
    if (r.status != 200) mismatch(b, "GET " + target(sut), r.body, "200");
    const bj::value json = r.json();
    std::vector<std::string> got;
    for (const auto& a : json.at("data").at("avatars").as_array()) {
      const auto* rating = a.as_object().if_contains("rating");
      const int handle = Backend::handle_of(b.avatars, a.at("id").as_string());
      got.push_back("a" + std::to_string(handle) + " rating " +
                    (rating && !rating->is_null()
                         ? std::to_string(static_cast<int>(rating->to_number<double>() * 100 + 0.5))
                         : std::string("-")) +
                    "/" + std::to_string(a.at("reviewCount").to_number<int>()) + " downloads " +
                    std::to_string(a.at("downloadCount").to_number<int>()));
    }
    auto [want, total] = expected(m, b, sut);
    if (!ordered()) {
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
    }
    got.push_back("total " + std::to_string(json.at("data").at("total").to_number<int>()));
    want.push_back("total " + std::to_string(total));
    if (got != want) mismatch(b, "GET " + target(sut), join(got), join(want));
  }
  static std::vector<http::Header> bear(const Backend& b) {
    return bearer(b.users[0].access_token);
  }
};

void check_all(const Model& m, Sut& sut) {
  for (Backend& b : sut.backends) {
    check_avatar_lists(m, b);
    check_project_lists(m, b);
    check_device_lists(m, b);
    StoreQuery{{}, std::nullopt, "rating", 1, 100}.check(m, b, sut);
    StoreQuery{{"writer"}, std::nullopt, "", 1, 100}.check(m, b, sut);
  }
}

// ---------------------------------------------------------------------------------------------
// Operations. Each says what the API answers from the model before it (`decide`, which also moves
// the model on), how to ask each backend (`send`), and what a success names (`record`).

using Command = rc::state::Command<Model, Sut>;

struct Step : Command {
  void apply(Model& m) const override { decide(m); }
  void run(const Model& before, Sut& sut) const override {
    Model after = before;
    const int want = decide(after);
    for (Backend& b : sut.backends) {
      const ClientResponse r = send(b, sut);
      if (r.status != want) {
        std::ostringstream what;
        show(what);
        mismatch(b, what.str(), std::to_string(r.status) + " " + r.body, std::to_string(want));
      }
      if (r.status < 300) record(before, b, r);
    }
    check_all(after, sut);
  }
  virtual int decide(Model& m) const = 0;
  virtual ClientResponse send(Backend& b, const Sut& sut) const = 0;
  // A success: the ids it created, or what it showed, checked against the model before it.
  virtual void record(const Model&, Backend&, const ClientResponse&) const {}
};

template <class T>
int pick(const std::vector<T>& items) {
  RC_PRE(!items.empty());
  return *rc::gen::inRange<int>(0, static_cast<int>(items.size()));
}
int pick_user() {
  return *rc::gen::inRange(0, kUsers);
}
template <class T>
const T& one_of(const std::vector<T>& items) {
  return items[*rc::gen::inRange<std::size_t>(0, items.size())];
}

// The id a create answered ({data: {<key>: {id}}}), as the next handle's on this backend.
void remember_id(std::vector<std::string>& ids, const ClientResponse& r, const char* key) {
  ids.emplace_back(r.json().at("data").at(key).at("id").as_string());
}

// A step by a random user on an avatar (or a project) the model has; shrinking may leave the
// handle beyond the model, which its precondition refuses.
struct OnAvatar : Step {
  int avatar;
  int user = pick_user();
  explicit OnAvatar(const Model& m) : avatar(pick(m.avatars)) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(avatar < static_cast<int>(m.avatars.size()));
  }
};

struct OnProject : Step {
  int project;
  int user = pick_user();
  explicit OnProject(const Model& m) : project(pick(m.projects)) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(project < static_cast<int>(m.projects.size()));
  }
};

bj::object avatar_payload(const std::string& name, const std::string& word,
                          const std::string& skill, bool is_public,
                          const std::optional<int>& price_cents, const Sut& sut) {
  bj::object o{{"name", name},
               {"role", "writer"},
               {"description", sut.tag + " " + word},
               {"skills", bj::array{sut.tag.c_str(), skill.c_str()}},
               {"isPublic", is_public},
               {"baseModel", "gpt-4o"},
               {"systemPrompt", "Write well."}};
  if (price_cents) o["price"] = *price_cents / 100.0;
  return o;
}

struct CreateAvatar : Step {
  int user = pick_user();
  std::string name = one_of(kWords) + one_of(kSuffixes);
  std::string word = one_of(kWords);
  std::string skill = one_of(kSkills);
  bool is_public = *rc::gen::arbitrary<bool>();
  std::optional<int> price_cents = one_of(std::vector<std::optional<int>>{std::nullopt, 0, 499});

  int decide(Model& m) const override {
    if (m.avatars_of(user) >= kMaxAvatars) return 403;
    m.avatars.push_back({user, name, word, skill, is_public, price_cents, {}, 0, true});
    return 201;
  }
  ClientResponse send(Backend& b, const Sut& sut) const override {
    return b.call(user, "POST", "/api/avatars",
                  body(avatar_payload(name, word, skill, is_public, price_cents, sut)));
  }
  void record(const Model&, Backend& b, const ClientResponse& r) const override {
    remember_id(b.avatars, r, "avatar");
    b.avatar_created.emplace_back(r.json().at("data").at("avatar").at("createdAt").as_string());
  }
  void show(std::ostream& os) const override {
    os << "u" << user << " creates avatar '" << name << "' (" << word << ", " << skill << ", "
       << (is_public ? "public" : "private") << ", price "
       << (price_cents ? std::to_string(*price_cents) : "none") << ")";
  }
};

// Publish, unpublish or rename.
struct UpdateAvatar : OnAvatar {
  bool renames = *rc::gen::arbitrary<bool>();
  std::optional<bool> is_public =
      renames ? std::nullopt : std::optional<bool>(*rc::gen::arbitrary<bool>());
  std::optional<std::string> name = renames ? std::optional(one_of(kWords)) : std::nullopt;
  using OnAvatar::OnAvatar;
  int decide(Model& m) const override {
    if (!m.visible(user, avatar)) return 404;
    MAvatar& a = m.avatars[avatar];
    if (a.owner != user) return 403;
    if (is_public) a.is_public = *is_public;
    if (name) a.name = *name;
    return 200;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    bj::object change;
    if (is_public) change["isPublic"] = *is_public;
    if (name) change["name"] = *name;
    return b.call(user, "PUT", "/api/avatars/" + b.avatars[avatar], body(change));
  }
  void show(std::ostream& os) const override {
    os << "u" << user << " updates a" << avatar;
    if (is_public) os << (*is_public ? " to public" : " to private");
    if (name) os << " named " << *name;
  }
};

struct DeleteAvatar : OnAvatar {
  using OnAvatar::OnAvatar;
  int decide(Model& m) const override {
    if (!m.visible(user, avatar)) return 404;
    if (m.avatars[avatar].owner != user) return 403;
    m.avatars[avatar].alive = false;
    std::erase_if(m.acquired, [&](const auto& entry) { return entry.second == avatar; });
    for (MTask& t : m.tasks)
      if (t.assignee == avatar) t.assignee.reset();
    return 200;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    return b.call(user, "DELETE", "/api/avatars/" + b.avatars[avatar]);
  }
  void show(std::ostream& os) const override { os << "u" << user << " deletes a" << avatar; }
};

struct Review : OnAvatar {
  using OnAvatar::OnAvatar;
  int rating = *rc::gen::inRange(1, 6);
  int decide(Model& m) const override {
    MAvatar& a = m.avatars[avatar];
    if (!m.visible(user, avatar) || !a.is_public) return 404;
    if (a.owner == user) return 403;
    if (a.reviews.contains(user)) return 409;
    a.reviews[user] = rating;
    return 201;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    return b.call(user, "POST", "/api/store/avatars/" + b.avatars[avatar] + "/reviews",
                  body({{"rating", rating}, {"comment", "ok"}}));
  }
  void show(std::ostream& os) const override {
    os << "u" << user << " rates a" << avatar << " " << rating;
  }
};

struct Acquire : OnAvatar {
  using OnAvatar::OnAvatar;
  int decide(Model& m) const override {
    const MAvatar original = m.avatars[avatar];
    if (!m.visible(user, avatar) || !original.is_public) return 404;
    if (original.owner == user) return 409;
    if (original.price_cents.value_or(0) > 0) return 403;  // free plan
    if (m.avatars_of(user) >= kMaxAvatars) return 403;
    if (m.acquired.contains({user, avatar})) return 409;
    m.acquired.insert({user, avatar});
    m.avatars[avatar].downloads++;
    MAvatar copy = original;
    copy.owner = user;
    copy.is_public = false;
    copy.reviews.clear();
    copy.downloads = 0;
    m.avatars.push_back(copy);
    return 201;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    return b.call(user, "POST", "/api/store/avatars/" + b.avatars[avatar] + "/acquire");
  }
  void record(const Model&, Backend& b, const ClientResponse& r) const override {
    remember_id(b.avatars, r, "avatar");
    b.avatar_created.emplace_back(r.json().at("data").at("avatar").at("createdAt").as_string());
  }
  void show(std::ostream& os) const override { os << "u" << user << " acquires a" << avatar; }
};

struct SearchStore : Step {
  StoreQuery query;
  SearchStore() {
    const int n = *rc::gen::inRange(0, 3);
    for (int i = 0; i < n; ++i) query.terms.push_back(one_of(kSearchTerms));
    if (*rc::gen::arbitrary<bool>()) query.skill = one_of(kSkills);
    query.sort = one_of(kSorts);
    if (query.ordered()) {
      query.page = *rc::gen::inRange(1, 4);
      query.page_size = *rc::gen::inRange(1, 4);
    }
  }
  int decide(Model&) const override { return 200; }
  ClientResponse send(Backend& b, const Sut& sut) const override {
    return b.client->request("GET", query.target(sut), {}, StoreQuery::bear(b));
  }
  void run(const Model& before, Sut& sut) const override {
    for (Backend& b : sut.backends) query.check(before, b, sut);
  }
  void show(std::ostream& os) const override {
    os << "search the store for [" << join(query.terms) << "] skill " << query.skill.value_or("-")
       << " sort " << (query.sort.empty() ? "-" : query.sort) << " page " << query.page << "×"
       << query.page_size;
  }
};

struct CreateProject : Step {
  int user = pick_user();
  std::string name = one_of(kWords) + one_of(kSuffixes);
  int decide(Model& m) const override {
    if (m.projects_created_by(user) >= kMaxProjects) return 403;
    m.projects.push_back({name, user, {{user, "owner"}}, true});
    return 201;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    return b.call(user, "POST", "/api/projects", body({{"name", name}}));
  }
  void record(const Model&, Backend& b, const ClientResponse& r) const override {
    remember_id(b.projects, r, "project");
  }
  void show(std::ostream& os) const override {
    os << "u" << user << " creates project '" << name << "'";
  }
};

struct DeleteProject : OnProject {
  using OnProject::OnProject;
  int decide(Model& m) const override {
    if (const int refused = m.require_role(user, project, "owner")) return refused;
    m.projects[project].alive = false;
    m.forget_tasks_of(project);
    return 200;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    return b.call(user, "DELETE", "/api/projects/" + b.projects[project]);
  }
  void show(std::ostream& os) const override { os << "u" << user << " deletes p" << project; }
};

// Adds, changes or removes a member (the roles' rules, API.md §4).
struct ChangeMember : OnProject {
  using OnProject::OnProject;
  int target = pick_user();
  int action = *rc::gen::inRange(0, 3);  // add, change role, remove
  std::string role = one_of(kRoles);
  int decide(Model& m) const override {
    MProject& p = m.projects[project];
    const bool caller_owner = m.rank(user, project) == 3;
    if (action == 0) {
      if (const int refused = m.require_role(user, project, "admin")) return refused;
      if (role == "owner" && !caller_owner) return 403;
      if (p.roles.contains(target)) return 409;
      p.roles[target] = role;
      return 200;
    }
    if (action == 1) {
      if (const int refused = m.require_role(user, project, "admin")) return refused;
      if (!p.roles.contains(target)) return 404;
      const std::string current = p.roles[target];
      if ((current == "owner" || role == "owner") && !caller_owner) return 403;
      if (current == "owner" && role != "owner" && m.owners(project) == 1) return 409;
      p.roles[target] = role;
      return 200;
    }
    const bool leaving = target == user;
    if (const int refused = m.require_role(user, project, leaving ? "viewer" : "admin"))
      return refused;
    if (!p.roles.contains(target)) return 404;
    if (p.roles[target] == "owner" && !leaving && !caller_owner) return 403;
    if (p.roles[target] == "owner" && m.owners(project) == 1) return 409;
    p.roles.erase(target);
    return 200;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    const std::string base = "/api/projects/" + b.projects[project] + "/members";
    if (action == 0)
      return b.call(user, "POST", base, body({{"userId", b.users[target].id}, {"role", role}}));
    if (action == 1)
      return b.call(user, "PUT", base + "/" + b.users[target].id, body({{"role", role}}));
    return b.call(user, "DELETE", base + "/" + b.users[target].id);
  }
  void show(std::ostream& os) const override {
    static const char* verbs[] = {"adds", "sets the role of", "removes"};
    os << "u" << user << " " << verbs[action] << " u" << target << " in p" << project
       << (action < 2 ? " as " + role : std::string());
  }
};

struct CreateTask : OnProject {
  using OnProject::OnProject;
  int decide(Model& m) const override {
    if (const int refused = m.require_role(user, project, "member")) return refused;
    m.tasks.push_back({project, "todo", std::nullopt, true});
    return 201;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    return b.call(user, "POST", "/api/projects/" + b.projects[project] + "/tasks",
                  body({{"title", "Task"}, {"priority", "p2"}}));
  }
  void record(const Model&, Backend& b, const ClientResponse& r) const override {
    remember_id(b.tasks, r, "task");
  }
  void show(std::ostream& os) const override {
    os << "u" << user << " adds a task to p" << project;
  }
};

// Moves a task on, assigns it, or deletes it.
struct ChangeTask : Step {
  int task;
  int project = 0;
  int user = pick_user();
  int action = *rc::gen::inRange(0, 3);  // status, assign, delete
  std::string status = one_of(kTaskStatuses);
  int avatar = -1;
  explicit ChangeTask(const Model& m) : task(pick(m.tasks)) {
    project = m.tasks[task].project;
    if (action == 1) avatar = pick(m.avatars);
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(task < static_cast<int>(m.tasks.size()));
    RC_PRE(m.tasks[task].project == project);
    RC_PRE(avatar < static_cast<int>(m.avatars.size()));
  }
  int decide(Model& m) const override {
    MTask& t = m.tasks[task];
    // A deleted task (or one of a deleted project) is a 404 to everyone.
    if (const int refused = m.require_role(user, t.project, "member")) return refused;
    if (!t.alive) return 404;
    if (action == 0) t.status = status;
    if (action == 1) {
      if (const int refused = m.usable(user, avatar)) return refused;
      t.assignee = avatar;
    }
    if (action == 2) t.alive = false;
    return 200;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    const std::string path = "/api/projects/" + b.projects[project] + "/tasks/" + b.tasks[task];
    if (action == 0) return b.call(user, "PUT", path, body({{"status", status}}));
    if (action == 1)
      return b.call(user, "POST", path + "/assign", body({{"avatarId", b.avatars[avatar]}}));
    return b.call(user, "DELETE", path);
  }
  void show(std::ostream& os) const override {
    os << "u" << user << " ";
    if (action == 0) os << "sets t" << task << " to " << status;
    if (action == 1) os << "assigns t" << task << " to a" << avatar;
    if (action == 2) os << "deletes t" << task;
  }
};

struct CreateDevice : Step {
  int user = pick_user();
  int serial = *rc::gen::inRange(0, 4);
  int decide(Model& m) const override {
    if (m.devices_of(user) >= kMaxDevices) return 403;
    for (const MDevice& d : m.devices)
      if (d.alive && d.serial == serial) return 409;
    m.devices.push_back({user, serial, 0, true});
    return 201;
  }
  ClientResponse send(Backend& b, const Sut& sut) const override {
    return b.call(user, "POST", "/api/devices",
                  body({{"name", "Box"},
                        {"model", "EOS-3A"},
                        {"serialNumber", "SN-" + sut.tag + "-" + std::to_string(serial)},
                        {"mac", "00:11:22:33:44:55"}}));
  }
  void record(const Model&, Backend& b, const ClientResponse& r) const override {
    remember_id(b.devices, r, "device");
  }
  void show(std::ostream& os) const override {
    os << "u" << user << " creates a device with serial " << serial;
  }
};

// Deletes a device, queues a command on it, or lists its commands.
struct UseDevice : Step {
  int device;
  int user = pick_user();
  int action = *rc::gen::inRange(0, 3);
  std::string command = one_of(std::vector<std::string>{"ping", "reboot", "self_destruct"});
  explicit UseDevice(const Model& m) : device(pick(m.devices)) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(device < static_cast<int>(m.devices.size()));
  }
  int decide(Model& m) const override {
    MDevice& d = m.devices[device];
    if (action == 1 && command == "self_destruct") return 400;  // the body is read first
    if (!d.alive || d.owner != user) return 404;
    if (action == 0) d.alive = false;
    if (action == 1) {
      d.commands++;
      return 202;
    }
    return 200;
  }
  ClientResponse send(Backend& b, const Sut&) const override {
    const std::string path = "/api/devices/" + b.devices[device];
    if (action == 0) return b.call(user, "DELETE", path);
    if (action == 1) return b.call(user, "POST", path + "/commands", body({{"command", command}}));
    return b.call(user, "GET", path + "/commands?pageSize=100");
  }
  void record(const Model& before, Backend& b, const ClientResponse& r) const override {
    if (action != 2) return;
    const int total = r.json().at("data").at("total").to_number<int>();
    const int want = before.devices[device].commands;
    if (total != want)
      mismatch(b, "commands of d" + std::to_string(device), std::to_string(total),
               std::to_string(want));
  }
  void show(std::ostream& os) const override {
    static const char* verbs[] = {"deletes", "commands", "lists the commands of"};
    os << "u" << user << " " << verbs[action] << " d" << device
       << (action == 1 ? " to " + command : std::string());
  }
};

// A request no model state makes acceptable: another user's or an unknown or malformed id,
// wrong types, empty, huge or NUL-bearing strings, bad query parameters. Each is a clear 4xx,
// the same on both databases, and changes nothing.
struct Hostile : Step {
  int user = pick_user();
  int which = *rc::gen::inRange(0, 16);
  std::string tag_of_id = one_of(
      std::vector<std::string>{"nope", "00000000-0000-4000-8000-000000000000", "' OR 1=1 --"});

  struct Ask {
    std::string method, path;
    bj::value payload;
    int status;
  };
  Ask ask(const Sut& sut) const {
    const std::string id = url_id();
    const bj::object avatar = avatar_payload("n", "alpha", "cpp", true, std::nullopt, sut);
    const auto with = [&](std::string_view key, bj::value v) {
      bj::object o = avatar;
      o[key] = std::move(v);
      return bj::value(o);
    };
    const bj::array one_message{bj::object{{"id", "m1"}, {"role", "user"}, {"content", "hi"}}};
    switch (which) {
      case 0:
        return {"GET", "/api/avatars/" + id, nullptr, 404};
      case 1:
        return {"PUT", "/api/projects/" + id, bj::object{{"name", "x"}}, 404};
      case 2:
        return {"POST", "/api/projects/" + id + "/tasks", bj::object{{"title", "x"}}, 404};
      case 3:
        return {"POST", "/api/devices/" + id + "/commands", bj::object{{"command", "ping"}}, 404};
      case 4:
        return {"POST", "/api/store/avatars/" + id + "/acquire", nullptr, 404};
      case 5:
        return {"POST", "/api/avatars", with("name", bj::string(10000, 'n')), 400};
      case 6:
        return {"POST", "/api/avatars", with("name", bj::string(std::string_view("a\0b", 3))), 400};
      case 7:
        return {"POST", "/api/avatars", with("name", 5), 400};
      case 8:
        return {"POST", "/api/avatars", with("skills", "cpp"), 400};
      case 9:
        return {"POST", "/api/projects", bj::object{{"name", ""}}, 400};
      case 10:
        return {"GET", "/api/store/avatars?sort=bogus", nullptr, 400};
      case 11:
        return {"GET", "/api/store/avatars?q=a%00b", nullptr, 400};
      case 12:
        return {"GET", "/api/store/avatars?pageSize=1000", nullptr, 400};
      // The agent checks what it is asked to run as before it streams (PostgreSQL's uuid
      // columns once answered these with 500).
      case 13:
        return {"POST", "/api/agent",
                bj::object{{"messages", one_message}, {"context", {{"avatarId", tag_of_id}}}}, 404};
      case 14:
        return {"POST", "/api/agent",
                bj::object{{"messages", one_message}, {"context", {{"projectId", tag_of_id}}}},
                404};
      default:
        return {
            "POST", "/api/agent",
            bj::object{{"messages", one_message}, {"forwardedProps", {{"avatarId", tag_of_id}}}},
            404};
    }
  }
  // An id as a path segment: malformed ones percent-encoded.
  std::string url_id() const { return StoreQuery::url_encode(tag_of_id); }

  int decide(Model&) const override { return -1; }  // judged by ask(), below
  ClientResponse send(Backend& b, const Sut& sut) const override {
    const Ask a = ask(sut);
    return b.call(user, a.method, a.path,
                  a.payload.is_null() ? std::string() : json::serialize(a.payload));
  }
  void run(const Model& before, Sut& sut) const override {
    const int want = ask(sut).status;
    for (Backend& b : sut.backends) {
      const ClientResponse r = send(b, sut);
      const bj::value json = r.json();
      const bool envelope = json.is_object() && json.as_object().contains("error");
      if (r.status != want || !envelope) {
        std::ostringstream what;
        show(what);
        mismatch(b, what.str(), std::to_string(r.status) + " " + r.body.substr(0, 300),
                 std::to_string(want) + " with an error envelope");
      }
    }
    check_all(before, sut);
  }
  void show(std::ostream& os) const override {
    os << "u" << user << " sends hostile request #" << which << " (id '" << tag_of_id << "')";
  }
};

TEST(ModelDifferential, BothDatabasesAnswerAsTheModel) {
  require_services("postgres");
  if (::testing::Test::IsSkipped()) return;
  rc::detail::checkGTest([] {
    Sut sut;
    rc::state::check(Model{}, sut,
                     rc::state::gen::execOneOfWithArgs<
                         CreateAvatar, CreateAvatar, UpdateAvatar, DeleteAvatar, Review, Acquire,
                         SearchStore, CreateProject, DeleteProject, ChangeMember, ChangeMember,
                         CreateTask, ChangeTask, ChangeTask, CreateDevice, UseDevice, Hostile>());
  });
}

}  // namespace
}  // namespace karma::testing
