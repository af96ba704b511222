#pragma once
// Randomness, ids, digests and encodings shared by every feature (libsodium + OpenSSL).
#include <string>
#include <string_view>

namespace karma::crypto {

// Must run once before any other call (initialises libsodium).
void init();

std::string random_bytes(std::size_t count);
// Random UUID v4, lowercase canonical form.
std::string uuid_v4();
// A UUID v4-shaped id that is unique but not unpredictable (request ids): each thread draws a
// random start once and counts from it.
std::string counted_uuid();
// True for a canonical 8-4-4-4-12 hex UUID (any version, any case).
bool is_uuid(std::string_view text);
// A URL-safe random token carrying `bytes` bytes of entropy.
std::string random_token(std::size_t bytes = 32);

std::string base64url_encode(std::string_view data);
// Returns false on malformed input (unpadded, canonical).
bool base64url_decode(std::string_view text, std::string& out);
// RFC 4648 §4 (the alphabet of btoa and Buffer), padded to a multiple of 4; false on anything
// else.
bool base64_decode(std::string_view text, std::string& out);

std::string sha256(std::string_view data);  // raw 32 bytes
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hex(std::string_view raw);
// RFC 3986: unreserved characters stay, everything else becomes %XX (uppercase); '/' stays
// when `keep_slash` (URL paths). Also a valid RFC 5987 value (filename*=UTF-8''...).
std::string percent_encode(std::string_view text, bool keep_slash = false);
bool constant_time_equal(std::string_view a, std::string_view b);

// A digest computed over data that arrives in pieces (uploads).
class Digest {
 public:
  enum class Algorithm { md5, sha256 };
  explicit Digest(Algorithm algorithm);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(std::string_view data);
  // Lowercase hex of everything given to update(); call once.
  std::string hex_final();

 private:
  void* context_;  // EVP_MD_CTX, kept out of this header
};

}  // namespace karma::crypto
