#pragma once
// The run loop (ARCHITECTURE.md, "Agent runtime"): ask the model → stream its text → run the
// backend tools it called → apply what they changed to the shared state (STATE_DELTA) →
// repeat, until the model answers, calls a frontend tool (the run ends; the client runs it and
// the next run carries the result), hits the step cap or the deadline, or is cancelled. One run
// per thread at a time; threads, messages and state are kept per threadId, owned by their user.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/llm/model.hpp"
#include "agent/protocol/encoders.hpp"
#include "agent/runtime/run_input.hpp"
#include "agent/runtime/thread_store.hpp"
#include "agent/tools/agent_tools.hpp"
#include "auth/user_directory.hpp"
#include "avatars/avatar_service.hpp"
#include "core/caller.hpp"
#include "db/database.hpp"
#include "devices/device_service.hpp"
#include "http/event_stream.hpp"
#include "projects/project_service.hpp"
#include "realtime/event_bus.hpp"

namespace karma::agent {

struct RuntimeSettings {
  int max_steps = 8;
  EpochMs run_deadline_ms = 120'000;
  std::int64_t history_window = 40;        // messages the model is sent
  EpochMs interrupt_ttl_ms = 10 * 60'000;  // how long an approval may wait
};

// A thread's claim, released when the last holder drops it — unless the run took it over
// (it releases the thread when it ends). A response whose client left before its head went out
// is never started: its claim goes with it instead of holding the thread until the deadline.
class ThreadClaim {
 public:
  explicit ThreadClaim(std::function<void()> release) : release_(std::move(release)) {}
  ~ThreadClaim();
  ThreadClaim(const ThreadClaim&) = delete;
  ThreadClaim& operator=(const ThreadClaim&) = delete;
  void take_over() { release_ = nullptr; }

 private:
  std::function<void()> release_;
};

// A run that passed every check and holds its thread; `start` streams it.
struct PreparedRun {
  Caller caller;
  RunInput input;
  bool contract_events = false;
  // Why the run may not go on, said as its RUN_ERROR (message, code): new input while
  // interrupts wait, a resume that leaves some unanswered or names unknown ones.
  std::optional<std::pair<std::string, std::string>> refusal;
  // The client sent none of the messages the thread holds (a page that reopened it): the run
  // tells it the history first (MESSAGES_SNAPSHOT).
  bool client_lacks_history = false;
  std::shared_ptr<ThreadClaim> claim;
};

class AgentRuntime {
 public:
  // `bus` carries each approval request to the user's realtime sessions (hitl_request).
  AgentRuntime(db::Database& db, realtime::EventBus& bus, auth::UserDirectory& users,
               devices::DeviceService& devices, projects::ProjectService& projects,
               avatars::AvatarService& avatars, BackendTools& tools, Model& model,
               RuntimeSettings settings);
  ~AgentRuntime();

  // Before any byte is streamed: the thread is the caller's (NOT_FOUND otherwise) and free
  // (CONFLICT while another run holds it); the request's new messages are stored.
  PreparedRun prepare(const Caller& caller, RunInput input, bool contract_events);
  // The thread of an interrupt of the user's; nullopt for anything else.
  std::optional<std::string> thread_of_interrupt(const std::string& user_id,
                                                 const std::string& interrupt_id);
  bool owns_thread(const std::string& user_id, const std::string& thread_id);
  // Runs `run` on a thread of its own, streaming into `sink`.
  void start(PreparedRun run, std::shared_ptr<http::EventSink> sink);
  // Ends every run (RUN_ERROR) and waits for them.
  void stop();

 private:
  // Why a run stops early: its client went away (or the server stops); either cancels what
  // the run waits on (the model's request).
  struct Stop {
    std::atomic<bool> gone{false};
    http::Cancellation cancellation;
  };
  void execute(const PreparedRun& run, http::EventSink& sink, Stop& stop);
  // One contract event of the run, as a chat_response on its user's topic.
  void publish_chat_response(const PreparedRun& run, std::string_view data);
  void release(const std::string& thread_id, const std::string& run_id);
  // The refusal of a run on a thread whose interrupts wait (expiring those past due), if any.
  std::optional<std::pair<std::string, std::string>> check_interrupts(db::Connection& c,
                                                                      const RunInput& input,
                                                                      EpochMs now);
  boost::json::value load_state(const Caller& caller, const RunInput& input);

  db::Database& db_;
  realtime::EventBus& bus_;
  auth::UserDirectory& users_;
  devices::DeviceService& devices_;
  projects::ProjectService& projects_;
  avatars::AvatarService& avatars_;
  BackendTools& tools_;
  Model& model_;
  RuntimeSettings settings_;
  ThreadStore threads_;

  std::mutex mutex_;
  std::condition_variable idle_;
  std::vector<std::shared_ptr<Stop>> running_;
  std::atomic<bool> stopping_{false};
};

}  // namespace karma::agent
