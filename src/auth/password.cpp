#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace karma::auth {
namespace {

struct Slot {
  std::counting_semaphore<1024>& slots;
  explicit Slot(std::counting_semaphore<1024>& s) : slots(s) { slots.acquire(); }
  ~Slot() { slots.release(); }
};

}  // namespace

PasswordHasher::PasswordHasher(int max_concurrent)
    : slots_(std::max(1, std::min(max_concurrent, 1024))) {
  decoy_hash_ = hash("karma-decoy-password");
}

std::string PasswordHasher::hash(std::string_view password) {
  Slot slot(slots_);
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return out;
}

bool PasswordHasher::verify(std::string_view stored_hash, std::string_view password) {
  Slot slot(slots_);
  const std::string terminated(stored_hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::verify_nothing(std::string_view password) {
  verify(decoy_hash_, password);
}

}  // namespace karma::auth
