#pragma once
// What operations report about the database: whether it answers with its migrations applied
// (/readyz) and the pool's figures (/metrics). The ops routes see this, never the database.
#include <string>

#include "db/database.hpp"

namespace karma::ops {

class DatabaseHealth {
 public:
  explicit DatabaseHealth(db::Database& db) : db_(db) {}
  // SERVICE_UNAVAILABLE naming what is wrong: the database is down or has migrations pending.
  void require_ready() const;
  // The pool's figures in Prometheus text, appended to `out`.
  void append_metrics(std::string& out) const;

 private:
  db::Database& db_;
};

}  // namespace karma::ops
