#pragma once
// A ZIP archive written as it is read: entries are stored (not compressed), their CRC-32 is
// computed while their bytes stream through and written in a data descriptor after them, so
// no entry and no archive is ever held whole (PKWARE APPNOTE 6.3, without ZIP64).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/request.hpp"
#include "storage/blob_store.hpp"

namespace karma::files {

struct ZipEntry {
  std::string name;  // UTF-8, '/'-separated, no leading '/'
  std::uint64_t size = 0;
  std::int64_t modified_ms = 0;
  // Opens the entry's bytes when the archive reaches it.
  std::function<std::unique_ptr<storage::BlobReader>()> open;
};

// Archives larger than this need ZIP64, which this writer does not produce.
constexpr std::uint64_t kZipMaxBytes = 0xFFFFFFFFull;
// The archive's exact size: stored entries make it known before a byte is written.
std::uint64_t zip_size(const std::vector<ZipEntry>& entries);

class ZipSource final : public http::BodySource {
 public:
  explicit ZipSource(std::vector<ZipEntry> entries);
  std::size_t read(char* buffer, std::size_t size) override;

 private:
  void next_piece();  // fills pending_ with the next headers, or opens the next entry's data

  std::vector<ZipEntry> entries_;
  std::size_t index_ = 0;
  std::string pending_;  // header bytes not yet handed out
  std::size_t pending_at_ = 0;
  std::unique_ptr<storage::BlobReader> data_;  // the current entry's bytes
  std::uint32_t crc_ = 0;
  std::uint64_t offset_ = 0;  // bytes of the archive produced so far
  struct Written {
    std::uint32_t crc;
    std::uint64_t size;
    std::uint64_t local_header_offset;
    std::uint16_t time, date;
  };
  std::vector<Written> written_;
  bool finished_ = false;
};

}  // namespace karma::files
