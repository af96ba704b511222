// The local blob store: atomic, content-addressed writes and ranged reads.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.hpp"
#include "storage/blob_store.hpp"

namespace karma::storage {
namespace {

namespace fs = std::filesystem;

class LocalBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("karma-blobs-" + crypto::uuid_v4());
    store_ = make_local_blob_store(root_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }
  std::string put(const std::string& content, std::size_t piece = 7) {
    auto writer = store_->create();
    for (std::size_t at = 0; at < content.size(); at += piece)
      writer->write(std::string_view(content).substr(at, piece));
    return writer->commit(crypto::sha256_hex(content));
  }
  std::string get(const std::string& key, std::uint64_t offset, std::uint64_t length) {
    auto reader = store_->open(key, offset, length);
    std::string out;
    char buffer[5];
    while (std::size_t n = reader->read(buffer)) out.append(buffer, n);
    return out;
  }
  std::size_t files_under(const fs::path& dir) {
    std::size_t count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
      count += entry.is_regular_file() ? 1 : 0;
    return count;
  }

  fs::path root_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(LocalBlobStoreTest, WritesAreContentAddressedAndReadBackByRange) {
  const std::string content = "the quick brown fox jumps over the lazy dog";
  const std::string key = put(content);
  EXPECT_EQ(key, crypto::sha256_hex(content));
  EXPECT_EQ(get(key, 0, content.size()), content);
  EXPECT_EQ(get(key, 4, 5), "quick");
  EXPECT_EQ(get(key, content.size() - 3, 3), "dog");
  EXPECT_EQ(put(content, 3), key) << "the same bytes share one blob";
  EXPECT_EQ(files_under(root_ / "objects"), 1u);
  EXPECT_EQ(files_under(root_ / "tmp"), 0u);
}

TEST_F(LocalBlobStoreTest, AnAbandonedWriteLeavesNothing) {
  {
    auto writer = store_->create();
    writer->write("half of a file");
  }
  EXPECT_EQ(files_under(root_), 0u);
}

TEST_F(LocalBlobStoreTest, KeysAreNeverPaths) {
  EXPECT_THROW(store_->open("../../etc/passwd", 0, 1), StorageError);
  EXPECT_THROW(store_->open(std::string(64, 'A'), 0, 1), StorageError);
  EXPECT_THROW(store_->open(std::string(64, 'a'), 0, 1), StorageError) << "absent";
  auto writer = store_->create();
  writer->write("x");
  EXPECT_THROW(writer->commit("../escape"), StorageError);
  EXPECT_NO_THROW(store_->remove("../../anything"));
}

TEST_F(LocalBlobStoreTest, RemoveDeletesTheBlob) {
  const std::string key = put("bytes to forget");
  store_->remove(key);
  EXPECT_THROW(store_->open(key, 0, 1), StorageError);
  EXPECT_NO_THROW(store_->remove(key));
}

}  // namespace
}  // namespace karma::storage
