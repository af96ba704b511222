#pragma once
// Connection factories of the two backends (internal to db/).
#include <memory>
#include <string>

#include "db/database.hpp"

namespace karma::db {

// Creates the parent directory and switches the file to WAL once.
void prepare_sqlite_file(const std::string& path);
// What the connections of one SQLite database share: the writer mutex (transactions queue on
// it instead of in SQLite's busy handler, which sleeps in steps of milliseconds and wrecks tail
// latency) and a checkpointer thread that keeps WAL checkpoints off the commit path.
class SqliteShared;
std::shared_ptr<SqliteShared> open_sqlite_shared(const std::string& path);
std::unique_ptr<Connection> connect_sqlite(const std::string& path,
                                           std::shared_ptr<SqliteShared> shared);
std::unique_ptr<Connection> connect_postgres(const std::string& url);

// Rewrites $n placeholders (outside quotes) to ?n for SQLite.
std::string sqlite_placeholders(std::string_view sql);

}  // namespace karma::db
