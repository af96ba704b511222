#include "db/database.hpp"

#include "core/app_error.hpp"

#include <charconv>
#include <chrono>

#include "db/backends.hpp"

namespace karma::db {

AppError app_error_of(const DbError& error) {
  switch (error.kind()) {
    case DbError::Kind::unavailable:
      return AppError(ErrorCode::unavailable, "Database unavailable");
    case DbError::Kind::unique_violation:
      return AppError(ErrorCode::conflict, "The resource already exists");
    default:
      return AppError(ErrorCode::internal, "Internal server error");
  }
}

namespace {
const std::string kEmpty;

std::int64_t parse_int(const std::string& s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}
}  // namespace

const std::string& Row::text(std::size_t i) const {
  const auto& cell = cells_.at(i);
  return cell ? *cell : kEmpty;
}

std::string Row::take_text(std::size_t i) {
  auto& cell = cells_.at(i);
  return cell ? std::move(*cell) : std::string();
}

std::int64_t Row::integer(std::size_t i) const {
  const auto& cell = cells_.at(i);
  if (!cell) return 0;
  if (cell->find('.') != std::string::npos) return static_cast<std::int64_t>(std::stod(*cell));
  return parse_int(*cell);
}

double Row::real(std::size_t i) const {
  const auto& cell = cells_.at(i);
  return cell && !cell->empty() ? std::stod(*cell) : 0.0;
}

bool Row::boolean(std::size_t i) const {
  const auto& cell = cells_.at(i);
  return cell && (*cell == "1" || *cell == "t" || *cell == "true");
}

std::optional<EpochMs> Row::opt_time(std::size_t i) const {
  const auto& cell = cells_.at(i);
  if (!cell) return std::nullopt;
  // SQLite stores epoch ms as INTEGER; PostgreSQL returns TIMESTAMPTZ text.
  const std::size_t digits_from = !cell->empty() && cell->front() == '-' ? 1 : 0;
  if (cell->size() > digits_from &&
      cell->find_first_not_of("0123456789", digits_from) == std::string::npos) {
    return parse_int(*cell);
  }
  return parse_timestamp(*cell);
}

EpochMs Row::time(std::size_t i) const {
  return opt_time(i).value_or(0);
}

Database::Database(Dialect dialect, Factory factory, int max_size, int acquire_timeout_ms)
    : dialect_(dialect),
      factory_(std::move(factory)),
      max_size_(max_size),
      acquire_timeout_ms_(acquire_timeout_ms) {}

Database::~Database() {
  close();
}

Database::Lease::~Lease() {
  if (conn_) db_->release(std::move(conn_));
}

Database::Lease Database::acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(acquire_timeout_ms_);
  ++waiting_;
  while (!closed_ && idle_.empty() && open_ >= max_size_) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_size_) {
      --waiting_;
      ++timeouts_total_;
      throw DbError(DbError::Kind::unavailable, "timed out waiting for a database connection");
    }
  }
  --waiting_;
  if (closed_) throw DbError(DbError::Kind::unavailable, "database is closed");
  ++acquired_total_;
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(*this, factory_());
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void Database::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mutex_);
  statements_total_ += conn->take_statement_count();
  if (closed_ || !conn->healthy()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

Result Database::query(std::string_view sql, const Params& params) {
  Lease conn = acquire();
  return conn->query(sql, params);
}

bool Database::ping() {
  try {
    return !query("SELECT 1").empty();
  } catch (const std::exception&) {
    return false;
  }
}

PoolStats Database::stats() {
  std::lock_guard lock(mutex_);
  return PoolStats{open_,
                   static_cast<int>(idle_.size()),
                   waiting_,
                   max_size_,
                   acquired_total_,
                   timeouts_total_,
                   statements_total_};
}

void Database::close() {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    open_ -= static_cast<int>(idle_.size());
    closing.swap(idle_);
    available_.notify_all();
  }
}

std::unique_ptr<Database> open_database(const std::string& url, int pool_size) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return std::make_unique<Database>(
        Dialect::postgres, [url] { return connect_postgres(url); }, pool_size);
  }
  if (url.starts_with("sqlite://")) {
    std::string path = url.substr(9);
    prepare_sqlite_file(path);
    auto shared = open_sqlite_shared(path);
    return std::make_unique<Database>(
        Dialect::sqlite, [path, shared] { return connect_sqlite(path, shared); }, pool_size);
  }
  throw std::runtime_error("DATABASE_URL must start with postgresql:// or sqlite://");
}

}  // namespace karma::db
