// SigV4 against the published AWS example (S3 API reference, "Example: GET Object").
#include "storage/sigv4.hpp"

#include <gtest/gtest.h>

#include "core/crypto.hpp"

namespace karma::storage {
namespace {

const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigV4Request get_object_example() {
  SigV4Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_sha256 = kEmptySha;
  return r;
}

TEST(SigV4, CanonicalRequestMatchesTheAwsExample) {
  const std::string canonical = canonical_request(get_object_example());
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                kEmptySha +
                "\nx-amz-date:20130524T000000Z\n\n"
                "host;range;x-amz-content-sha256;x-amz-date\n" +
                kEmptySha);
  EXPECT_EQ(crypto::sha256_hex(canonical),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(SigV4, AuthorizationMatchesTheAwsExample) {
  const SigV4Credentials credentials{"AKIAIOSFODNN7EXAMPLE",
                                     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};
  EXPECT_EQ(sigv4_authorization(credentials, get_object_example(), "20130524T000000Z"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, QueryAndPathAreEncodedAndSorted) {
  SigV4Request r;
  r.method = "POST";
  r.path = "/bucket/a b/caf\xC3\xA9.txt";
  r.query = {{"uploads", ""}, {"partNumber", "2"}, {"prefix", "a/b c"}};
  r.headers = {{"host", "s3.local"}};
  r.payload_sha256 = "UNSIGNED-PAYLOAD";
  EXPECT_EQ(canonical_request(r),
            "POST\n/bucket/a%20b/caf%C3%A9.txt\npartNumber=2&prefix=a%2Fb%20c&uploads=\n"
            "host:s3.local\n\nhost\nUNSIGNED-PAYLOAD");
}

}  // namespace
}  // namespace karma::storage
