#pragma once
// Argon2id password hashes (libsodium). Hashing costs ~64 MiB and ~65 ms, so the number of
// hashes in progress is bounded; callers run on worker threads, never on I/O threads.
#include <semaphore>
#include <string>
#include <string_view>

namespace karma::auth {

class PasswordHasher {
 public:
  // `max_concurrent` bounds memory: each hash in progress holds its own 64 MiB.
  explicit PasswordHasher(int max_concurrent);
  std::string hash(std::string_view password);
  bool verify(std::string_view stored_hash, std::string_view password);
  // Spends the time of a real verification, so unknown emails answer as slowly as wrong
  // passwords.
  void verify_nothing(std::string_view password);

 private:
  std::counting_semaphore<1024> slots_;
  std::string decoy_hash_;
};

}  // namespace karma::auth
