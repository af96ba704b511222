#include "agent/runtime/agent_runtime.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "agent/protocol/json_patch.hpp"
#include "agent/protocol/run_stream.hpp"
#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/log.hpp"

namespace karma::agent {

namespace bj = boost::json;

namespace {

struct CalledTool {
  std::string id, name, args;
};

// What one model answer streams: forwarded to the run's events as it comes, and kept as the
// assistant message and the tool calls to run.
class Turn final : public ModelOutput {
 public:
  Turn(RunStream& stream, std::function<bool()> cancelled,
       std::function<bool(const std::string&)> client_runs)
      : stream_(stream), cancelled_(std::move(cancelled)), client_runs_(std::move(client_runs)) {}

  void text(std::string_view delta) override {
    content += delta;
    stream_.text(message_id, delta);
  }
  void reasoning(std::string_view delta) override { stream_.reasoning(reasoning_id_, delta); }
  void tool_call_start(const std::string& id, const std::string& name) override {
    if (find(id)) return;
    calls.push_back({id, name, {}});
    stream_.tool_call_start(id, name, message_id, client_runs_(name));
  }
  void tool_call_args(const std::string& id, std::string_view delta) override {
    if (CalledTool* call = find(id)) {
      call->args += delta;
      stream_.tool_call_args(id, delta);
    }
  }
  void tool_call_end(const std::string& id) override { stream_.tool_call_end(id); }
  bool cancelled() const override { return cancelled_(); }

  // The assistant message as the thread keeps it (AG-UI's toolCalls shape).
  StoredMessage message() const {
    StoredMessage m{message_id, "assistant", content, std::nullopt, std::nullopt};
    if (!calls.empty()) {
      bj::array list;
      for (const auto& c : calls)
        list.push_back(bj::object{{"id", c.id},
                                  {"type", "function"},
                                  {"function", {{"name", c.name}, {"arguments", c.args}}}});
      m.tool_calls = json::serialize(list);
    }
    return m;
  }

  const std::string message_id = crypto::uuid_v4();
  std::string content;
  std::vector<CalledTool> calls;

 private:
  CalledTool* find(const std::string& id) {
    for (auto& c : calls)
      if (c.id == id) return &c;
    return nullptr;
  }
  RunStream& stream_;
  std::function<bool()> cancelled_;
  std::function<bool(const std::string&)> client_runs_;
  const std::string reasoning_id_ = crypto::uuid_v4();
};

constexpr std::int64_t kSnapshotMessages = 200;

// The thread's messages as AG-UI spells them.
bj::array agui_messages(const std::vector<StoredMessage>& messages) {
  bj::array out;
  for (const auto& m : messages) {
    bj::object message{{"id", m.id}, {"role", m.role}, {"content", m.content}};
    if (m.tool_call_id) message["toolCallId"] = *m.tool_call_id;
    if (m.tool_calls) {
      boost::system::error_code ec;
      bj::value calls = bj::parse(*m.tool_calls, ec);
      if (!ec && calls.is_array()) message["toolCalls"] = std::move(calls);
    }
    out.push_back(std::move(message));
  }
  return out;
}

std::string error_json(const std::string& message, std::string_view code) {
  return json::serialize(bj::object{{"error", message}, {"code", code}});
}

}  // namespace

AgentRuntime::AgentRuntime(db::Database& db, realtime::EventBus& bus, auth::UserDirectory& users,
                           devices::DeviceService& devices, projects::ProjectService& projects,
                           avatars::AvatarService& avatars, BackendTools& tools, Model& model,
                           RuntimeSettings settings)
    : db_(db),
      bus_(bus),
      users_(users),
      devices_(devices),
      projects_(projects),
      avatars_(avatars),
      tools_(tools),
      model_(model),
      settings_(settings) {}

AgentRuntime::~AgentRuntime() {
  stop();
}

PreparedRun AgentRuntime::prepare(const Caller& caller, RunInput input, bool contract_events) {
  if (input.project_id) projects_.get(caller, *input.project_id);  // NOT_FOUND unless a member
  if (input.avatar_id) {
    const auto avatar = avatars_.get(caller, *input.avatar_id);
    if (avatar.record.created_by != caller.user_id) throw AppError::not_found("Avatar");
  }
  const EpochMs now = now_ms();
  std::optional<std::pair<std::string, std::string>> refusal;
  bool lacks_history = false;
  db_.transaction([&](db::Connection& c) {
    const ThreadRecord thread = threads_.open(c, input.thread_id, caller.user_id, now);
    if (thread.user_id != caller.user_id) throw AppError::not_found("Thread");
    if (input.messages.empty() && input.resume.empty() &&
        threads_.recent(c, input.thread_id, 1).empty())
      throw AppError::invalid("messages", "must not be empty: the thread has nothing to answer");
    if (!threads_.claim(c, input.thread_id, input.run_id, now, now + settings_.run_deadline_ms))
      throw AppError::conflict("Another run is active on this thread", "threadId");
    refusal = check_interrupts(c, input, now);
    if (refusal) return;  // nothing of the request is kept
    // The request may carry the whole history (as HttpAgent sends it): keep what is new.
    std::vector<std::string> ids;
    ids.reserve(input.messages.size());
    for (const auto& m : input.messages) ids.push_back(m.id);
    const auto known = threads_.known_ids(c, input.thread_id, ids);
    lacks_history = known.empty() && !threads_.recent(c, input.thread_id, 1).empty();
    for (const auto& m : input.messages)
      if (std::find(known.begin(), known.end(), m.id) == known.end())
        threads_.append(c, input.thread_id, m, now);
  });
  auto claim = std::make_shared<ThreadClaim>(
      [this, thread = input.thread_id, run = input.run_id] { release(thread, run); });
  return {caller,        std::move(input), contract_events, std::move(refusal),
          lacks_history, std::move(claim)};
}

std::optional<std::string> AgentRuntime::thread_of_interrupt(const std::string& user_id,
                                                             const std::string& interrupt_id) {
  auto c = db_.acquire();
  return threads_.thread_of_interrupt(*c, interrupt_id, user_id);
}

bool AgentRuntime::owns_thread(const std::string& user_id, const std::string& thread_id) {
  auto c = db_.acquire();
  return threads_.owner(*c, thread_id) == user_id;
}

ThreadClaim::~ThreadClaim() {
  if (release_) release_();
}

void AgentRuntime::release(const std::string& thread_id, const std::string& run_id) {
  try {
    auto c = db_.acquire();
    threads_.release(*c, thread_id, run_id);
  } catch (const std::exception& e) {
    log::error("agent run kept its thread", {{"runId", run_id}, {"error", e.what()}});
  }
}

std::optional<std::pair<std::string, std::string>> AgentRuntime::check_interrupts(
    db::Connection& c, const RunInput& input, EpochMs now) {
  std::vector<std::string> open;
  for (const auto& i : threads_.pending_interrupts(c, input.thread_id)) {
    if (i.expires_at <= now)
      threads_.answer_interrupt(c, i.id, "expired", error_json("The approval expired", "EXPIRED"),
                                now);
    else
      open.push_back(i.id);
  }
  std::vector<std::string> answered;
  for (const auto& r : input.resume) answered.push_back(r.interrupt_id);
  // Another thread's (or user's) interrupt is not there for this caller: 404 before streaming.
  if (threads_.interrupts(c, input.thread_id, answered).size() != answered.size())
    throw AppError::not_found("Interrupt");
  std::string missing;
  for (const auto& id : open)
    if (std::find(answered.begin(), answered.end(), id) == answered.end())
      missing += (missing.empty() ? "" : ", ") + id;
  if (!missing.empty())
    return std::pair{
        input.resume.empty()
            ? "The thread waits for answers to its interrupts (" + missing + "): resume them first"
            : "The resume leaves interrupts unanswered: " + missing,
        std::string(input.resume.empty() ? "INTERRUPTS_OPEN" : "INTERRUPTS_UNANSWERED")};
  return std::nullopt;
}

void AgentRuntime::start(PreparedRun run, std::shared_ptr<http::EventSink> sink) {
  run.claim->take_over();
  auto stop = std::make_shared<Stop>();
  {
    std::lock_guard lock(mutex_);
    running_.push_back(stop);
    if (stopping_) stop->cancellation.cancel();
  }
  sink->on_close([stop] {
    stop->gone = true;
    stop->cancellation.cancel();
  });
  std::thread([this, run = std::move(run), sink = std::move(sink), stop] {
    try {
      execute(run, *sink, *stop);
    } catch (const std::exception& e) {
      log::error("agent run failed", {{"runId", run.input.run_id}, {"error", e.what()}});
    }
    release(run.input.thread_id, run.input.run_id);
    sink->close();
    std::lock_guard lock(mutex_);
    std::erase(running_, stop);
    if (running_.empty()) idle_.notify_all();
  }).detach();
}

void AgentRuntime::stop() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  for (const auto& run : running_) run->cancellation.cancel();
  idle_.wait(lock, [this] { return running_.empty(); });
}

bj::value AgentRuntime::load_state(const Caller& caller, const RunInput& input) {
  bj::object state;
  {
    auto c = db_.acquire();
    const auto people = users_.profiles(*c, {caller.user_id});
    bj::object user{{"id", caller.user_id}};
    if (!people.empty()) {
      user["name"] = people[0].name;
      if (people[0].avatar) user["avatar"] = *people[0].avatar;
    }
    state["user"] = std::move(user);
  }
  devices::DeviceList all;
  all.paging.page_size = 100;
  bj::array devices;
  for (const auto& d : devices_.list(caller, all).first)
    devices.push_back(
        bj::object{{"id", d.id}, {"name", d.name}, {"model", d.model}, {"status", d.status}});
  state["devices"] = std::move(devices);
  bj::array avatars;
  avatars::AvatarStats sum;
  for (const auto& a : avatars_.list(caller)) {
    avatars.push_back(bj::object{{"id", a.record.id},
                                 {"name", a.record.name},
                                 {"role", a.record.role},
                                 {"status", a.record.status}});
    sum.today_cents += a.stats.today_cents;
    sum.week_cents += a.stats.week_cents;
    sum.month_cents += a.stats.month_cents;
    sum.total_cents += a.stats.total_cents;
  }
  state["avatars"] = std::move(avatars);
  state["earnings"] = bj::object{{"today", money(sum.today_cents)},
                                 {"thisWeek", money(sum.week_cents)},
                                 {"thisMonth", money(sum.month_cents)},
                                 {"total", money(sum.total_cents)}};
  if (input.project_id) {
    const auto p = projects_.get(caller, *input.project_id);
    bj::array tasks;
    for (const auto& t : p.tasks)
      tasks.push_back(bj::object{{"id", t.task.id},
                                 {"title", t.task.title},
                                 {"status", t.task.status},
                                 {"priority", t.task.priority}});
    state["project"] = bj::object{{"id", p.project.id},
                                  {"name", p.project.name},
                                  {"status", p.project.status},
                                  {"progress", p.progress()},
                                  {"tasks", std::move(tasks)}};
  }
  // The client's own part of the state (what its pages show) is kept as it sent it.
  const auto* ui =
      input.client_state.is_object() ? input.client_state.as_object().if_contains("ui") : nullptr;
  state["ui"] = ui ? *ui : bj::value(bj::object{});
  return state;
}

void AgentRuntime::publish_chat_response(const PreparedRun& run, std::string_view data) {
  boost::system::error_code ec;
  bj::value event = bj::parse(data, ec);
  if (ec || !event.is_object()) return;  // "[DONE]"
  bj::object payload = std::move(event.as_object());
  payload["threadId"] = run.input.thread_id;
  payload["runId"] = run.input.run_id;
  bus_.publish(realtime::topics::user(run.caller.user_id),
               {std::string(realtime::kChatResponse), run.caller.user_id, std::move(payload)});
}

void AgentRuntime::execute(const PreparedRun& run, http::EventSink& sink, Stop& stop) {
  const std::atomic<bool>& gone = stop.gone;
  const RunInput& in = run.input;
  const EpochMs deadline = now_ms() + settings_.run_deadline_ms;
  auto encoder = run.contract_events ? contract_encoder()
                                     : agui_encoder(in.protocol_1_0, in.thread_id, in.run_id);
  // Every run's contract events also reach the hub sessions subscribed to its thread
  // (API.md §8), whichever dialect the caller streams.
  auto thread_feed = run.contract_events ? nullptr : contract_encoder();
  const Encoder::Send publish = [&](std::string_view data, std::string_view) {
    publish_chat_response(run, data);
  };
  const Encoder::Send send = [&](std::string_view data, std::string_view event) {
    sink.send(data, event);
    if (!thread_feed) publish(data, event);
  };
  RunStream stream([&](const Event& e) {
    encoder->encode(e, send);
    if (thread_feed) thread_feed->encode(e, publish);
  });
  const auto cancelled = [&] { return gone || stopping_ || now_ms() > deadline; };
  stream.started(in.thread_id, in.run_id);
  if (run.refusal) {
    stream.error(run.refusal->first, run.refusal->second);
    encoder->close(send);
    return;
  }
  // Running as an avatar makes it `working` until the run ends, however it ends.
  struct AvatarAtWork {
    avatars::AvatarService& avatars;
    const Caller& caller;
    const std::optional<std::string>& id;
    ~AvatarAtWork() {
      if (!id) return;
      try {
        avatars.agent_run(caller, *id, std::nullopt);
      } catch (const std::exception& e) {
        log::error("agent run left its avatar working", {{"avatarId", *id}, {"error", e.what()}});
      }
    }
  } at_work{avatars_, run.caller, in.avatar_id};
  try {
    if (in.avatar_id) avatars_.agent_run(run.caller, *in.avatar_id, deadline);
    bj::value state = load_state(run.caller, in);
    stream.state_snapshot(state);
    if (run.client_lacks_history) {
      auto c = db_.acquire();
      stream.messages_snapshot(agui_messages(threads_.recent(*c, in.thread_id, kSnapshotMessages)));
    }
    // A tool's answer: kept as the thread's tool message, streamed on its call, and the state
    // moved on when the tool changed it.
    const auto answer = [&](const std::string& tool_call_id, const std::string& content,
                            bool changed) {
      const StoredMessage result{crypto::uuid_v4(), "tool", content, std::nullopt, tool_call_id};
      {
        auto c = db_.acquire();
        threads_.append(*c, in.thread_id, result, now_ms());
      }
      stream.tool_call_result(result.id, tool_call_id, content);
      if (changed) {
        bj::value next = load_state(run.caller, in);
        stream.state_delta(diff(state, next));
        state = std::move(next);
      }
    };
    const auto run_tool = [&](const std::string& name, const bj::object& args) {
      try {
        ToolResult result = tools_.run(run.caller, name, args);
        return std::pair{json::serialize(result.content), result.changed};
      } catch (const AppError& e) {
        return std::pair{error_json(e.what(), code_name(e.code())), false};
      }
    };

    // Answers to interrupts run (or cancel) the calls they held; a replayed answer gets the
    // result it got the first time, nothing runs twice.
    bool answered_now = false;
    for (const ResumeEntry& entry : in.resume) {
      InterruptRecord held;
      {
        auto c = db_.acquire();
        held = threads_.interrupts(*c, in.thread_id, {entry.interrupt_id}).at(0);
      }
      if (held.status != "pending") {
        stream.tool_call_result(crypto::uuid_v4(), held.tool_call_id, held.result.value_or("{}"));
        continue;
      }
      std::pair<std::string, bool> outcome{
          json::serialize(bj::object{{"cancelled", true}, {"message", "The user declined"}}),
          false};
      if (entry.approved) outcome = run_tool(held.tool_name, bj::parse(held.arguments).as_object());
      {
        auto c = db_.acquire();
        threads_.answer_interrupt(*c, held.id, entry.approved ? "resolved" : "cancelled",
                                  outcome.first, now_ms());
      }
      answer(held.tool_call_id, outcome.first, outcome.second);
      answered_now = true;
    }

    std::string system_prompt, model = in.model;
    std::optional<std::vector<std::string>> allowed = in.tool_names;
    if (in.avatar_id) {
      const auto avatar = avatars_.get(run.caller, *in.avatar_id);
      system_prompt = avatar.record.system_prompt;
      if (model.empty()) model = avatar.record.base_model;
      allowed = avatar.record.tools;
    }
    std::vector<ToolSpec> offered;
    for (const auto& t : builtin_tools())
      if (!allowed || std::find(allowed->begin(), allowed->end(), t.name) != allowed->end())
        offered.push_back(t);
    for (const auto& t : in.client_tools)
      if (!find_builtin(t.name)) offered.push_back(t);
    const auto offered_tool = [&](const std::string& name) {
      return std::find_if(offered.begin(), offered.end(),
                          [&](const ToolSpec& t) { return t.name == name; });
    };
    const auto client_runs = [&](const std::string& name) {
      const auto spec = offered_tool(name);
      return spec != offered.end() && !spec->backend;
    };

    bj::object outcome{{"type", "success"}};
    const bool replay_only = !in.resume.empty() && !answered_now;
    for (int step = 0; !replay_only; ++step) {
      if (cancelled()) break;
      if (step == settings_.max_steps) {
        stream.text(crypto::uuid_v4(), "I stopped here: this took more steps than a run may.");
        break;
      }
      std::vector<StoredMessage> history;
      {
        auto c = db_.acquire();
        history = threads_.recent(*c, in.thread_id, settings_.history_window);
      }
      const std::string step_name = "step " + std::to_string(step + 1);
      stream.step_started(step_name);
      Turn turn(stream, cancelled, client_runs);
      model_.complete({history, offered, system_prompt, model, state, &stop.cancellation}, turn);
      stream.end_message();
      {
        auto c = db_.acquire();
        if (!turn.content.empty() || !turn.calls.empty())
          threads_.append(*c, in.thread_id, turn.message(), now_ms());
      }
      if (turn.calls.empty() || cancelled()) {
        stream.step_finished(step_name);
        break;
      }

      bj::array pending, interrupts;
      for (const CalledTool& call : turn.calls) {
        const auto spec = offered_tool(call.name);
        boost::system::error_code ec;
        const bj::value args = bj::parse(call.args.empty() ? "{}" : call.args, ec);
        if (client_runs(call.name)) {
          pending.emplace_back(call.id);  // the client runs it; the contract's `ui` says so
          stream.custom("ui", bj::object{{"action", call.name},
                                         {"args", ec ? bj::value(call.args) : args},
                                         {"toolCallId", call.id}});
          continue;
        }
        if (spec == offered.end()) {
          answer(call.id,
                 error_json("No tool named " + call.name + " is available", "UNKNOWN_TOOL"), false);
        } else if (ec || !args.is_object()) {
          answer(call.id, error_json("The arguments are not a JSON object", "INVALID_ARGUMENTS"),
                 false);
        } else if (auto why = schema_violation(spec->parameters, args)) {
          answer(call.id, error_json("Arguments: " + *why, "INVALID_ARGUMENTS"), false);
        } else if (auto ask = tools_.approval_needed(run.caller, call.name, args.as_object())) {
          const EpochMs now = now_ms();
          const InterruptRecord held{crypto::uuid_v4(),
                                     in.run_id,
                                     call.id,
                                     call.name,
                                     call.args,
                                     "pending",
                                     *ask,
                                     now,
                                     now + settings_.interrupt_ttl_ms,
                                     std::nullopt};
          {
            auto c = db_.acquire();
            threads_.insert_interrupt(*c, in.thread_id, held);
          }
          interrupts.push_back(
              bj::object{{"id", held.id},
                         {"reason", "approval_required"},
                         {"message", held.message},
                         {"toolCallId", call.id},
                         {"responseSchema",
                          {{"type", "object"}, {"properties", {{"reason", {{"type", "string"}}}}}}},
                         {"expiresAt", iso8601(held.expires_at)}});
        } else {
          const auto [content, changed] = run_tool(call.name, args.as_object());
          answer(call.id, content, changed);
        }
      }
      stream.step_finished(step_name);
      if (!interrupts.empty()) {
        outcome = {{"type", "interrupt"}, {"interrupts", std::move(interrupts)}};
        break;
      }
      if (!pending.empty()) {
        outcome["pendingToolCallIds"] = std::move(pending);
        break;
      }
    }
    {
      auto c = db_.acquire();
      threads_.save_state(*c, in.thread_id, json::serialize(state), now_ms());
    }
    if (stopping_)
      stream.error("The server is shutting down", "SHUTDOWN");
    else if (gone)
      stream.finished({{"type", "cancelled"}});
    else if (now_ms() > deadline)
      stream.error("The run went past its deadline", "DEADLINE_EXCEEDED");
    else
      stream.finished(outcome);
    // Whatever transport started the run, the user's realtime sessions hear what waits.
    if (const auto* waiting = outcome.if_contains("interrupts"))
      for (const auto& i : waiting->as_array())
        bus_.publish(realtime::topics::user(run.caller.user_id),
                     {"hitl_request",
                      run.caller.user_id,
                      {{"interruptId", i.at("id")},
                       {"threadId", in.thread_id},
                       {"runId", in.run_id},
                       {"reason", i.at("reason")},
                       {"message", i.at("message")},
                       {"toolCallId", i.at("toolCallId")},
                       {"options", approval_options()},
                       {"expiresAt", i.at("expiresAt")}}});
  } catch (const AppError& e) {
    stream.error(e.what(), code_name(e.code()));
  } catch (const ModelError& e) {
    if (stopping_)
      stream.error("The server is shutting down", "SHUTDOWN");
    else if (gone)
      stream.finished({{"type", "cancelled"}});
    else
      stream.error(e.what(), "MODEL_ERROR");
  } catch (const std::exception& e) {
    log::error("agent run failed", {{"runId", in.run_id}, {"error", e.what()}});
    stream.error("The run failed", "INTERNAL_ERROR");
  }
  encoder->close(send);
}

}  // namespace karma::agent
