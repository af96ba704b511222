#include "core/app_error.hpp"
#include "core/log.hpp"
#include "storage/blob_store.hpp"

namespace karma::storage {

AppError unavailable(const StorageError& error) {
  log::warn("file storage failed", {{"error", error.what()}});
  return AppError(ErrorCode::storage_unavailable, "File storage is unavailable");
}

}  // namespace karma::storage
