#pragma once
// Rendered answers kept with the stamp of the data they were rendered from. A reader asks the
// database for the current stamp — one cheap statement — and serves the kept bytes while it
// matches; any writer, on any instance, moves the stamp in its own transaction (triggers, see
// migration 006), so an instance never serves what another instance's write made stale.
// A reader must take the stamp *before* reading the data it renders: the bytes are then never
// older than the stamp they are kept under. Bounded by bytes, least recently used out first.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace karma {

class StampedCache {
 public:
  // `budget_bytes` 0 keeps nothing.
  explicit StampedCache(std::size_t budget_bytes);

  struct Rendered {
    std::string body;
    std::vector<std::string> not_for;
    bool shareable = true;  // false: made for this caller alone, not kept
  };
  // The kept bytes, or what `render` makes now (kept when shareable).
  std::shared_ptr<const std::string> find_or_render(const std::string& key, std::string stamp,
                                                    std::string_view caller,
                                                    const std::function<Rendered()>& render);

 private:
  // The bytes kept under `key` when rendered at `stamp`, unless `caller` is one they must not be
  // shown to.
  std::shared_ptr<const std::string> find(const std::string& key, std::string_view stamp,
                                          std::string_view caller);
  // `not_for`: callers who would see something else (the answer shows them more).
  void put(const std::string& key, std::string stamp, std::shared_ptr<const std::string> body,
           std::vector<std::string> not_for = {});

  struct Entry {
    std::string stamp;
    std::shared_ptr<const std::string> body;
    std::vector<std::string> not_for;
    std::list<std::string>::iterator recent;
  };
  void evict_locked(std::unordered_map<std::string, Entry>::iterator it);

  const std::size_t budget_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recent_;  // keys, most recently used first
  std::size_t bytes_ = 0;
};

}  // namespace karma
