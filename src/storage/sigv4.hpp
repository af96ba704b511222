#pragma once
// AWS Signature Version 4 for S3-compatible object stores (header-based authentication).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace karma::storage {

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string service = "s3";
};

struct SigV4Request {
  std::string method;
  std::string path;  // unencoded, starting with '/': encoded here (segments, not the '/')
  std::vector<std::pair<std::string, std::string>> query;    // unencoded
  std::vector<std::pair<std::string, std::string>> headers;  // signed: host, x-amz-* …
  std::string payload_sha256;                                // hex, or "UNSIGNED-PAYLOAD"
};

std::string canonical_request(const SigV4Request& request);
// The origin-form target to send: encoded exactly as signed, so the two cannot disagree.
std::string request_target(const SigV4Request& request);
// The Authorization header value for `request` at `amz_date` ("20130524T000000Z", which the
// request's x-amz-date header must carry too).
std::string sigv4_authorization(const SigV4Credentials& credentials, const SigV4Request& request,
                                std::string_view amz_date);

}  // namespace karma::storage
