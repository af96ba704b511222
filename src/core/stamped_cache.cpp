#include "core/stamped_cache.hpp"

#include <algorithm>

namespace karma {

namespace {

std::size_t cost(const std::string& key, const std::string& stamp, const std::string& body) {
  return key.size() * 2 + stamp.size() + body.size() + 128;  // the key is held twice
}

}  // namespace

StampedCache::StampedCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

std::shared_ptr<const std::string> StampedCache::find(const std::string& key,
                                                      std::string_view stamp,
                                                      std::string_view caller) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.stamp != stamp ||
      std::find(it->second.not_for.begin(), it->second.not_for.end(), caller) !=
          it->second.not_for.end()) {
    return nullptr;
  }
  recent_.splice(recent_.begin(), recent_, it->second.recent);
  return it->second.body;
}

void StampedCache::put(const std::string& key, std::string stamp,
                       std::shared_ptr<const std::string> body, std::vector<std::string> not_for) {
  const std::size_t size = cost(key, stamp, *body);
  if (size > budget_ / 4) return;  // one answer may not push out everything else
  std::lock_guard lock(mutex_);
  if (const auto it = entries_.find(key); it != entries_.end()) evict_locked(it);
  while (bytes_ + size > budget_ && !recent_.empty()) evict_locked(entries_.find(recent_.back()));
  recent_.push_front(key);
  entries_.emplace(key,
                   Entry{std::move(stamp), std::move(body), std::move(not_for), recent_.begin()});
  bytes_ += size;
}

std::shared_ptr<const std::string> StampedCache::find_or_render(
    const std::string& key, std::string stamp, std::string_view caller,
    const std::function<Rendered()>& render) {
  if (auto kept = find(key, stamp, caller)) return kept;
  Rendered made = render();
  auto body = std::make_shared<const std::string>(std::move(made.body));
  if (made.shareable) put(key, std::move(stamp), body, std::move(made.not_for));
  return body;
}

void StampedCache::evict_locked(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= cost(it->first, it->second.stamp, *it->second.body);
  recent_.erase(it->second.recent);
  entries_.erase(it);
}

}  // namespace karma
