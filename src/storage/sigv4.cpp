#include "storage/sigv4.hpp"

#include <algorithm>

#include "core/crypto.hpp"
#include "core/validation.hpp"

namespace karma::storage {

namespace {

// Header names lowercased and sorted, values trimmed: the signed headers list and block.
std::vector<std::pair<std::string, std::string>> canonical_headers(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : r.headers)
    headers.emplace_back(ascii_lower(name), std::string(trim(value)));
  std::sort(headers.begin(), headers.end());
  return headers;
}

std::string signed_header_names(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string names;
  for (const auto& [name, value] : headers) {
    if (!names.empty()) names.push_back(';');
    names += name;
  }
  return names;
}

// Parameters encoded, then sorted by name and value.
std::string canonical_query(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [key, value] : r.query)
    query.emplace_back(crypto::percent_encode(key, false), crypto::percent_encode(value, false));
  std::sort(query.begin(), query.end());
  std::string query_string;
  for (const auto& [key, value] : query) {
    if (!query_string.empty()) query_string.push_back('&');
    query_string += key + "=" + value;
  }
  return query_string;
}

}  // namespace

std::string canonical_request(const SigV4Request& r) {
  const auto headers = canonical_headers(r);
  std::string header_block;
  for (const auto& [name, value] : headers) header_block += name + ":" + value + "\n";
  return r.method + "\n" + crypto::percent_encode(r.path, true) + "\n" + canonical_query(r) + "\n" +
         header_block + "\n" + signed_header_names(headers) + "\n" + r.payload_sha256;
}

std::string request_target(const SigV4Request& r) {
  std::string target = crypto::percent_encode(r.path, true);
  if (!r.query.empty()) target += "?" + canonical_query(r);
  return target;
}

std::string sigv4_authorization(const SigV4Credentials& c, const SigV4Request& r,
                                std::string_view amz_date) {
  const std::string date(amz_date.substr(0, 8));
  const std::string scope = date + "/" + c.region + "/" + c.service + "/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" +
                              crypto::sha256_hex(canonical_request(r));
  std::string key = crypto::hmac_sha256("AWS4" + c.secret_key, date);
  key = crypto::hmac_sha256(key, c.region);
  key = crypto::hmac_sha256(key, c.service);
  key = crypto::hmac_sha256(key, "aws4_request");
  const std::string signature = crypto::hex(crypto::hmac_sha256(key, to_sign));
  return "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" + scope +
         ",SignedHeaders=" + signed_header_names(canonical_headers(r)) + ",Signature=" + signature;
}

}  // namespace karma::storage
