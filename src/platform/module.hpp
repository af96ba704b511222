#pragma once
// A feature is a module: one entry point that is handed what it needs — the platform below and,
// through its constructor, the public interfaces of the features it uses — and mounts its
// routes and jobs. App composes modules; no feature reaches into another's internals (each is a
// CMake target of its own, link-checked alone: see CMakeLists.txt).
namespace karma {

struct Config;

namespace db {
class Database;
class GroupCommit;
}  // namespace db
namespace realtime {
class EventBus;
}
namespace storage {
class BlobStore;
}
namespace http {
class Router;
}
namespace jobs {
class Scheduler;
}

// What every module may use.
struct Platform {
  const Config& config;
  db::Database& db;
  db::GroupCommit& commits;
  realtime::EventBus& bus;
  storage::BlobStore& blobs;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual void mount(http::Router& router, jobs::Scheduler& jobs) = 0;
};

}  // namespace karma
