#include "files/zip_stream.hpp"

#include <zlib.h>

#include <ctime>

namespace karma::files {
namespace {

constexpr std::size_t kLocalHeader = 30;
constexpr std::size_t kDescriptor = 16;
constexpr std::size_t kCentralHeader = 46;
constexpr std::size_t kEndRecord = 22;
constexpr std::uint16_t kFlags = (1 << 3) | (1 << 11);  // data descriptor, UTF-8 names
constexpr std::uint16_t kVersion = 20;

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
  put16(out, static_cast<std::uint16_t>(v >> 16));
}

// MS-DOS time and date fields of a UTC instant (1980 at the earliest).
std::pair<std::uint16_t, std::uint16_t> dos_time(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm t{};
  gmtime_r(&seconds, &t);
  if (t.tm_year < 80) return {0, (1 << 5) | 1};  // 1980-01-01
  const auto time =
      static_cast<std::uint16_t>((t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec / 2));
  const auto date =
      static_cast<std::uint16_t>(((t.tm_year - 80) << 9) | ((t.tm_mon + 1) << 5) | t.tm_mday);
  return {time, date};
}

}  // namespace

std::uint64_t zip_size(const std::vector<ZipEntry>& entries) {
  std::uint64_t total = kEndRecord;
  for (const auto& e : entries)
    total += kLocalHeader + kDescriptor + kCentralHeader + 2 * e.name.size() + e.size;
  return total;
}

ZipSource::ZipSource(std::vector<ZipEntry> entries) : entries_(std::move(entries)) {}

void ZipSource::next_piece() {
  pending_.clear();
  pending_at_ = 0;
  if (index_ < entries_.size()) {
    const ZipEntry& e = entries_[index_];
    const auto [time, date] = dos_time(e.modified_ms);
    written_.push_back({0, e.size, offset_, time, date});
    put32(pending_, 0x04034b50);
    put16(pending_, kVersion);
    put16(pending_, kFlags);
    put16(pending_, 0);  // stored
    put16(pending_, time);
    put16(pending_, date);
    put32(pending_, 0);  // CRC and sizes follow the data
    put32(pending_, 0);
    put32(pending_, 0);
    put16(pending_, static_cast<std::uint16_t>(e.name.size()));
    put16(pending_, 0);
    pending_ += e.name;
    data_ = e.open();
    crc_ = static_cast<std::uint32_t>(crc32(0L, Z_NULL, 0));
    return;
  }
  // The central directory and its end record.
  const std::uint64_t directory_offset = offset_;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Written& w = written_[i];
    put32(pending_, 0x02014b50);
    put16(pending_, (3 << 8) | kVersion);  // made by: Unix
    put16(pending_, kVersion);
    put16(pending_, kFlags);
    put16(pending_, 0);
    put16(pending_, w.time);
    put16(pending_, w.date);
    put32(pending_, w.crc);
    put32(pending_, static_cast<std::uint32_t>(w.size));
    put32(pending_, static_cast<std::uint32_t>(w.size));
    put16(pending_, static_cast<std::uint16_t>(entries_[i].name.size()));
    put16(pending_, 0);               // extra
    put16(pending_, 0);               // comment
    put16(pending_, 0);               // disk
    put16(pending_, 0);               // internal attributes
    put32(pending_, 0100644u << 16);  // external attributes: a regular file, rw-r--r--
    put32(pending_, static_cast<std::uint32_t>(w.local_header_offset));
    pending_ += entries_[i].name;
  }
  const std::uint64_t directory_size = offset_ + pending_.size() - directory_offset;
  put32(pending_, 0x06054b50);
  put16(pending_, 0);
  put16(pending_, 0);
  put16(pending_, static_cast<std::uint16_t>(entries_.size()));
  put16(pending_, static_cast<std::uint16_t>(entries_.size()));
  put32(pending_, static_cast<std::uint32_t>(directory_size));
  put32(pending_, static_cast<std::uint32_t>(directory_offset));
  put16(pending_, 0);
  finished_ = true;
}

std::size_t ZipSource::read(char* buffer, std::size_t size) {
  for (;;) {
    if (pending_at_ < pending_.size()) {
      const std::size_t n = std::min(size, pending_.size() - pending_at_);
      std::copy_n(pending_.data() + pending_at_, n, buffer);
      pending_at_ += n;
      offset_ += n;
      return n;
    }
    if (data_) {
      const std::size_t n = data_->read(std::span<char>(buffer, size));
      if (n > 0) {
        crc_ = static_cast<std::uint32_t>(
            crc32(crc_, reinterpret_cast<const Bytef*>(buffer), static_cast<uInt>(n)));
        offset_ += n;
        return n;
      }
      // The entry is done: its descriptor, then the next entry.
      data_.reset();
      written_.back().crc = crc_;
      pending_.clear();
      pending_at_ = 0;
      put32(pending_, 0x08074b50);
      put32(pending_, crc_);
      put32(pending_, static_cast<std::uint32_t>(written_.back().size));
      put32(pending_, static_cast<std::uint32_t>(written_.back().size));
      ++index_;
      continue;
    }
    if (finished_) return 0;
    next_piece();
  }
}

}  // namespace karma::files
