#pragma once
// Which instance runs a background job: the one holding its lease, a row in the shared database
// (so it needs no Redis and behaves the same on SQLite and PostgreSQL). The holder renews it on
// each run; when the holder dies, another instance takes the job once the lease runs out.
#include <chrono>
#include <string>

#include "db/database.hpp"

namespace karma::jobs {

class JobLeases {
 public:
  // `holder`: this instance, unique among those sharing the database.
  JobLeases(db::Database& db, std::string holder) : db_(db), holder_(std::move(holder)) {}
  // True when this instance holds `job`'s lease for `ttl` from now: taken, or renewed.
  bool acquire(const std::string& job, std::chrono::milliseconds ttl);

 private:
  db::Database& db_;
  const std::string holder_;
};

}  // namespace karma::jobs
