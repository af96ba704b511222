#include "jobs/job_leases.hpp"

#include "core/clock.hpp"

namespace karma::jobs {

bool JobLeases::acquire(const std::string& job, std::chrono::milliseconds ttl) {
  const EpochMs now = now_ms();
  auto c = db_.acquire();
  // One statement: of instances racing for a free lease, exactly one row update wins.
  return c->query(
              "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) "
              "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
              "expires_at = excluded.expires_at "
              "WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < $4",
              {job, holder_, db::Timestamp{now + ttl.count()}, db::Timestamp{now}})
             .affected == 1;
}

}  // namespace karma::jobs
