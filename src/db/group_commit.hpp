#pragma once
// Group commit: many small independent writes share one transaction. A commit costs WAL page
// writes and file locks on SQLite and a WAL flush on PostgreSQL; writes that arrive while a
// batch commits wait for the next one, so N concurrent writers pay for about one commit each
// batch, and a lone writer is not delayed at all (there is no timer).
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db/database.hpp"

namespace karma::db {

class GroupCommit {
 public:
  // Runs inside a shared transaction. It may run twice: when a batch fails it is rolled back
  // and each write is retried alone, so one bad write never fails its neighbours.
  using Write = std::function<void(Connection&)>;
  // Called once, on a committer thread, after the write committed (null) or failed.
  using Done = std::function<void(std::exception_ptr)>;

  // `committers` threads each commit whole batches: 1 suits SQLite (one writer at a time),
  // several let PostgreSQL overlap round trips of different batches.
  GroupCommit(Database& db, int committers, std::size_t max_batch = 512);
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Writes of a batch run in `lock_key` order, so that two batches committing at once on
  // PostgreSQL lock the same rows in the same order and never deadlock.
  void submit(std::string lock_key, Write write, Done done);
  // Commits what is queued, then stops the committers. Later submits fail with `done(error)`.
  void stop();
  // Transactions begun for batches (a failed batch's retries not counted).
  std::uint64_t batches() const { return batches_; }

 private:
  struct Item {
    std::string lock_key;
    Write write;
    Done done;
  };
  void run();
  void commit(std::vector<Item>& batch);

  Database& db_;
  std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> batches_{0};
  std::vector<std::thread> committers_;
};

}  // namespace karma::db
