#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/crypto.hpp"
#include "storage/blob_store.hpp"

namespace karma::storage {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void io_failure(const std::string& what) {
  throw StorageError(StorageError::Kind::io, what + ": " + std::strerror(errno));
}

// Keys become file names, so only the exact shape this store hands out is accepted.
bool valid_key(std::string_view key) {
  if (key.size() != 64) return false;
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) io_failure("open " + dir.string());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_failure("fsync " + dir.string());
}

class LocalWriter final : public BlobWriter {
 public:
  LocalWriter(fs::path temp, fs::path objects)
      : temp_(std::move(temp)), objects_(std::move(objects)) {
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) io_failure("create " + temp_.string());
  }
  ~LocalWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }

  void write(std::string_view bytes) override {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        io_failure("write " + temp_.string());
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  std::string commit(const std::string& sha256_hex) override {
    if (!valid_key(sha256_hex)) throw StorageError(StorageError::Kind::io, "bad content hash");
    if (::fsync(fd_) != 0) io_failure("fsync " + temp_.string());
    ::close(fd_);
    fd_ = -1;
    const fs::path shard = objects_ / sha256_hex.substr(0, 2);
    std::error_code ec;
    fs::create_directories(shard, ec);
    if (ec)
      throw StorageError(StorageError::Kind::io, "mkdir " + shard.string() + ": " + ec.message());
    // The same content may already be there: replacing it with identical bytes is harmless.
    if (::rename(temp_.c_str(), (shard / sha256_hex).c_str()) != 0) io_failure("rename");
    committed_ = true;
    fsync_directory(shard);
    return sha256_hex;
  }

 private:
  fs::path temp_;
  fs::path objects_;
  int fd_ = -1;
  bool committed_ = false;
};

class LocalReader final : public BlobReader {
 public:
  LocalReader(int fd, std::uint64_t offset, std::uint64_t length)
      : fd_(fd), offset_(offset), remaining_(length) {
    ::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                    POSIX_FADV_SEQUENTIAL);
  }
  ~LocalReader() override { ::close(fd_); }

  std::size_t read(std::span<char> buffer) override {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining_));
    if (want == 0) return 0;
    for (;;) {
      const ssize_t n = ::pread(fd_, buffer.data(), want, static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) io_failure("read blob");
      if (n == 0) throw StorageError(StorageError::Kind::io, "blob shorter than recorded");
      offset_ += static_cast<std::uint64_t>(n);
      remaining_ -= static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  std::uint64_t offset_;
  std::uint64_t remaining_;
};

class LocalBlobStore final : public BlobStore {
 public:
  explicit LocalBlobStore(const fs::path& root) : objects_(root / "objects"), temp_(root / "tmp") {
    fs::create_directories(objects_);
    fs::create_directories(temp_);
    // Temporary files a crashed process left behind are garbage; a day's margin spares the
    // uploads of another process sharing the directory.
    const auto stale = fs::file_time_type::clock::now() - std::chrono::hours(24);
    for (const auto& entry : fs::directory_iterator(temp_)) {
      std::error_code ec;
      if (entry.last_write_time(ec) < stale && !ec) fs::remove(entry.path(), ec);
    }
  }

  std::unique_ptr<BlobWriter> create() override {
    return std::make_unique<LocalWriter>(temp_ / (crypto::uuid_v4() + ".part"), objects_);
  }

  std::unique_ptr<BlobReader> open(const std::string& key, std::uint64_t offset,
                                   std::uint64_t length) override {
    if (!valid_key(key)) throw StorageError(StorageError::Kind::not_found, "no such blob");
    const int fd = ::open(path_of(key).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) throw StorageError(StorageError::Kind::not_found, "no such blob");
      io_failure("open blob");
    }
    return std::make_unique<LocalReader>(fd, offset, length);
  }

  void remove(const std::string& key) override {
    if (!valid_key(key)) return;
    if (::unlink(path_of(key).c_str()) != 0 && errno != ENOENT) io_failure("remove blob");
  }

  bool content_addressed() const override { return true; }

 private:
  fs::path path_of(const std::string& key) const { return objects_ / key.substr(0, 2) / key; }

  fs::path objects_;
  fs::path temp_;
};

}  // namespace

std::unique_ptr<BlobStore> make_local_blob_store(const std::filesystem::path& root) {
  return std::make_unique<LocalBlobStore>(root);
}

}  // namespace karma::storage
