// The S3 blob store against a real S3 server (s3rver, started by ./scripts/test): one-request
// and multipart uploads, ranged reads, abandoned uploads, missing objects, unreachable servers
// and pooled connections the server closed.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/crypto.hpp"
#include "storage/blob_store.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

using storage::StorageError;

constexpr std::size_t kPart = 5 << 20;

class S3BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    require_services("sqlite_s3");
    if (IsSkipped() || HasFatalFailure()) return;
    prefix = "unit-" + crypto::hex(crypto::random_bytes(6)) + "/";
    store = storage::make_s3_blob_store(settings());
  }

  storage::S3Settings settings() const {
    storage::S3Settings s;
    s.endpoint = s3_endpoint();
    s.bucket = kTestBucket;
    s.access_key = s.secret_key = "S3RVER";
    s.key_prefix = prefix;
    s.part_size = kPart;
    return s;
  }

  // Writes `content` in uneven pieces, as uploads arrive.
  std::string put(const std::string& content, std::size_t piece = 256 * 1024 + 7) {
    auto writer = store->create();
    for (std::size_t at = 0; at < content.size(); at += piece)
      writer->write(std::string_view(content).substr(at, piece));
    return writer->commit(crypto::sha256_hex(content));
  }

  std::string read(const std::string& key, std::uint64_t offset, std::uint64_t length) {
    auto reader = store->open(key, offset, length);
    std::string out;
    char buffer[100'000];
    while (const std::size_t n = reader->read(buffer)) out.append(buffer, n);
    return out;
  }

  StorageError::Kind failure(const std::function<void()>& action) {
    try {
      action();
    } catch (const StorageError& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no StorageError";
    return StorageError::Kind::io;
  }

  std::string prefix;
  std::unique_ptr<storage::BlobStore> store;
};

TEST_F(S3BlobStoreTest, LargeBlobsGoUpInPartsAndReadBackByRange) {
  const std::string content = crypto::random_bytes(2 * kPart + 12'345);
  const std::string key = put(content);
  EXPECT_TRUE(key.starts_with(prefix)) << key;

  const auto objects = list_s3_objects(prefix);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].key, key);
  EXPECT_EQ(objects[0].size, content.size());

  EXPECT_TRUE(read(key, 0, content.size()) == content);
  // A range across the boundary of the first two parts, and the last byte.
  EXPECT_TRUE(read(key, kPart - 10, 20) == content.substr(kPart - 10, 20));
  EXPECT_EQ(read(key, content.size() - 1, 1), content.substr(content.size() - 1));
}

TEST_F(S3BlobStoreTest, SmallBlobsAreOneRequestAndKeysArePerUpload) {
  const std::string content = crypto::random_bytes(1000);
  const std::string first = put(content);
  const std::string second = put(content);
  EXPECT_NE(first, second) << "S3 cannot rename, so equal contents get keys of their own";
  crypto::Digest md5(crypto::Digest::Algorithm::md5);
  md5.update(content);
  const std::string etag = md5.hex_final();
  const auto objects = list_s3_objects(prefix);
  ASSERT_EQ(objects.size(), 2u);
  for (const auto& object : objects)
    EXPECT_EQ(object.etag, etag) << "a single PUT's ETag is its MD5";
  EXPECT_EQ(read(first, 0, content.size()), content);
  EXPECT_EQ(read(second, 100, 10), content.substr(100, 10));

  const std::string empty = put("");
  EXPECT_EQ(read(empty, 0, 0), "");
}

TEST_F(S3BlobStoreTest, AbandonedWritesLeaveNoObject) {
  {
    auto writer = store->create();
    writer->write(crypto::random_bytes(kPart + 1000));  // one part is already uploaded
  }
  {
    auto writer = store->create();
    writer->write("a few bytes");
  }
  EXPECT_TRUE(list_s3_objects(prefix).empty());
}

TEST_F(S3BlobStoreTest, MissingAndRemovedBlobsAreNotFound) {
  EXPECT_EQ(failure([&] { store->open(prefix + "no-such-object", 0, 1); }),
            StorageError::Kind::not_found);
  const std::string key = put("short-lived");
  store->remove(key);
  store->remove(key);  // already gone: not an error
  EXPECT_EQ(failure([&] { store->open(key, 0, 1); }), StorageError::Kind::not_found);
  EXPECT_TRUE(list_s3_objects(prefix).empty());
}

TEST_F(S3BlobStoreTest, UnreachableOrRefusingServersAreStorageErrors) {
  auto unreachable_settings = settings();
  unreachable_settings.endpoint = "http://127.0.0.1:1";
  auto unreachable = storage::make_s3_blob_store(unreachable_settings);
  EXPECT_EQ(failure([&] {
              auto writer = unreachable->create();
              writer->write("bytes");
              writer->commit(crypto::sha256_hex("bytes"));
            }),
            StorageError::Kind::io);
  EXPECT_EQ(failure([&] { unreachable->open(prefix + "x", 0, 1); }), StorageError::Kind::io);

  auto stranger_settings = settings();
  stranger_settings.access_key = "NOT-A-KEY";
  auto stranger = storage::make_s3_blob_store(stranger_settings);
  EXPECT_EQ(failure([&] { stranger->open(prefix + "x", 0, 1); }), StorageError::Kind::io);
}

TEST_F(S3BlobStoreTest, PooledConnectionsTheServerClosedAreReplaced) {
  const std::string key = put("kept alive");
  EXPECT_EQ(read(key, 0, 10), "kept alive");
  // s3rver (Node) closes connections idle for 5 s; the next request must not notice.
  std::this_thread::sleep_for(std::chrono::milliseconds(5500));
  EXPECT_EQ(read(key, 0, 4), "kept");
}

TEST_F(S3BlobStoreTest, HttpsEndpointsMustPresentATrustedCertificate) {
  const char* endpoint = std::getenv("KARMA_TEST_S3_TLS_ENDPOINT");
  const char* ca_file = std::getenv("KARMA_TEST_S3_CA_FILE");
  if (!endpoint || !ca_file) {
    if (std::getenv("KARMA_REQUIRE_S3")) FAIL() << "KARMA_TEST_S3_TLS_ENDPOINT is not set";
    GTEST_SKIP() << "KARMA_TEST_S3_TLS_ENDPOINT not set";
  }
  auto tls_settings = settings();
  tls_settings.endpoint = endpoint;
  // The server's certificate is self-signed: not trusted by the system, so refused.
  auto untrusting = storage::make_s3_blob_store(tls_settings);
  EXPECT_EQ(failure([&] { untrusting->open(prefix + "x", 0, 1); }), StorageError::Kind::io);

  tls_settings.ca_file = ca_file;
  store = storage::make_s3_blob_store(tls_settings);
  const std::string content = crypto::random_bytes(kPart + 100);
  const std::string key = put(content);
  EXPECT_TRUE(read(key, 0, content.size()) == content);
  EXPECT_EQ(failure([&] { store->open(prefix + "x", 0, 1); }), StorageError::Kind::not_found);
}

}  // namespace
}  // namespace karma::testing
