#include "db/group_commit.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace karma::db {
namespace {

// A Done that throws is a bug, but it must not take the committer thread down with it.
void finish(const GroupCommit::Done& done, std::exception_ptr error) noexcept {
  try {
    done(std::move(error));
  } catch (const std::exception& e) {
    log::error("group commit callback failed", {{"error", e.what()}});
  } catch (...) {
    log::error("group commit callback failed", {});
  }
}

}  // namespace

GroupCommit::GroupCommit(Database& db, int committers, std::size_t max_batch)
    : db_(db), max_batch_(max_batch) {
  for (int i = 0; i < std::max(1, committers); ++i) committers_.emplace_back([this] { run(); });
}

GroupCommit::~GroupCommit() {
  stop();
}

void GroupCommit::submit(std::string lock_key, Write write, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back({std::move(lock_key), std::move(write), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  finish(done, std::make_exception_ptr(DbError(DbError::Kind::unavailable, "shutting down")));
}

void GroupCommit::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : committers_)
    if (t.joinable()) t.join();
}

void GroupCommit::run() {
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::sort(batch.begin(), batch.end(),
              [](const Item& a, const Item& b) { return a.lock_key < b.lock_key; });
    commit(batch);
    batch.clear();
  }
}

void GroupCommit::commit(std::vector<Item>& batch) {
  ++batches_;
  try {
    db_.transaction([&](Connection& c) {
      for (auto& item : batch) item.write(c);
    });
  } catch (...) {
    if (batch.size() == 1) {
      finish(batch.front().done, std::current_exception());
      return;
    }
    for (auto& item : batch) {
      try {
        db_.transaction([&](Connection& c) { item.write(c); });
        finish(item.done, nullptr);
      } catch (...) {
        finish(item.done, std::current_exception());
      }
    }
    return;
  }
  for (auto& item : batch) finish(item.done, nullptr);
}

}  // namespace karma::db
