#pragma once
// Where file contents live. Blobs are written as streams, addressed by the key commit()
// returns, read back as ranges, and never named after user input.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace karma {
class AppError;
}  // namespace karma

namespace karma::storage {

class StorageError : public std::runtime_error {
 public:
  enum class Kind { not_found, io };
  StorageError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// What a client is told of a storage failure (S3 refusing or gone, a blob missing from this
// instance's storage): 503 STORAGE_UNAVAILABLE — it may try again, the instance is fine. Logged.
AppError unavailable(const StorageError& error);

// A blob being written. Destroyed without commit(), it leaves nothing behind.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual void write(std::string_view bytes) = 0;
  // Makes the blob durable and returns its key. `sha256_hex` is the content's SHA-256, which
  // the caller computed while streaming.
  virtual std::string commit(const std::string& sha256_hex) = 0;
};

class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Fills up to `buffer.size()` bytes; 0 once the requested range is read.
  virtual std::size_t read(std::span<char> buffer) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual std::unique_ptr<BlobWriter> create() = 0;
  // `length` bytes from `offset`; the caller checked the range against the blob's size.
  // Throws StorageError{not_found} for an unknown key.
  virtual std::unique_ptr<BlobReader> open(const std::string& key, std::uint64_t offset,
                                           std::uint64_t length) = 0;
  // Removing an absent blob is not an error.
  virtual void remove(const std::string& key) = 0;
  // Equal contents share one blob (the key is the content's hash): whoever creates and removes
  // blobs must then serialise the two per key, or a removal could take bytes just stored again.
  virtual bool content_addressed() const = 0;
};

// Blobs as files under `root`, content-addressed: the key is the SHA-256, so identical
// contents share one file. Writes go to a temporary file that is fsynced and renamed into
// place, so a blob is either whole or absent.
std::unique_ptr<BlobStore> make_local_blob_store(const std::filesystem::path& root);

struct S3Settings {
  // "http(s)://host:port" of an S3-compatible server, addressed path-style (/bucket/key).
  // Empty: AWS itself, https://<bucket>.s3.<region>.amazonaws.com, virtual-hosted style.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::string key_prefix = "blobs/";
  // Blobs up to this size are one PUT; larger ones a multipart upload of parts this size.
  std::size_t part_size = 8 * 1024 * 1024;
  std::string ca_file;  // extra trusted certificates for the endpoint
};

// Blobs as objects in a bucket. Keys are per upload (S3 has no rename), so identical uploads
// are stored twice; copies made through the file service still share one object.
std::unique_ptr<BlobStore> make_s3_blob_store(S3Settings settings);

}  // namespace karma::storage
