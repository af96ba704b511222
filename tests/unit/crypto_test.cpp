#include "core/crypto.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace karma::crypto {
namespace {

TEST(Crypto, UuidV4IsCanonicalAndUnique) {
  init();
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = uuid_v4();
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Crypto, CountedUuidsAreCanonicalAndUniqueAcrossThreads) {
  init();
  constexpr int kPerThread = 5000;
  std::vector<std::string> a, b;
  const auto draw = [](std::vector<std::string>& out) {
    for (int i = 0; i < kPerThread; ++i) out.push_back(counted_uuid());
  };
  std::thread other(draw, std::ref(b));
  draw(a);
  other.join();
  std::set<std::string> seen;
  for (const auto* ids : {&a, &b}) {
    for (const auto& id : *ids) {
      ASSERT_TRUE(is_uuid(id)) << id;
      EXPECT_EQ(id[14], '4');
      EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
      seen.insert(id);
    }
  }
  EXPECT_EQ(seen.size(), 2u * kPerThread);
}

TEST(Crypto, IsUuidRejectsLookalikes) {
  EXPECT_TRUE(is_uuid("8a6e0804-2bd0-4672-b79d-d97027f9071a"));
  // Only the canonical (lower-case) spelling: PostgreSQL's uuid type would match the upper-case
  // one, SQLite's text would not.
  for (const char* bad :
       {"8A6E0804-2BD0-4672-B79D-D97027F9071A", "", "1", "8a6e08042bd04672b79dd97027f9071a",
        "8a6e0804-2bd0-4672-b79d-d97027f9071", "8a6e0804-2bd0-4672-b79d-d97027f9071g",
        "' OR 1=1 --", "8a6e0804_2bd0_4672_b79d_d97027f9071a"})
    EXPECT_FALSE(is_uuid(bad)) << bad;
}

TEST(Crypto, Base64UrlRoundTrip) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    std::string back;
    ASSERT_TRUE(base64url_decode(base64url_encode(s), back));
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  std::string out;
  EXPECT_FALSE(base64url_decode("a+b/", out));
  EXPECT_FALSE(base64url_decode("a", out));
}

// RFC 4648 §10's vectors, in the padded standard alphabet the hub's file chunks use.
TEST(Crypto, Base64DecodesThePaddedStandardAlphabet) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"Zg==", "f"},
                                                         {"Zm8=", "fo"},
                                                         {"Zm9v", "foo"},
                                                         {"Zm9vYg==", "foob"},
                                                         {"Zm9vYmE=", "fooba"},
                                                         {"Zm9vYmFy", "foobar"},
                                                         {"+/8=", "\xfb\xff"}};
  for (const auto& [text, bytes] : vectors) {
    std::string out;
    ASSERT_TRUE(base64_decode(text, out)) << text;
    EXPECT_EQ(out, bytes);
  }
  std::string out;
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "-_8=", "Zm9v\n", "Zh==", "=Zg="})
    EXPECT_FALSE(base64_decode(bad, out)) << bad;
}

TEST(Crypto, Base64UrlDecodesOnlyTheCanonicalSpelling) {
  std::string out;
  ASSERT_TRUE(base64url_decode("-_8", out));  // 0xfb 0xff
  EXPECT_FALSE(base64url_decode("-_9", out))
      << "trailing bits set: another spelling of the same bytes";
  EXPECT_FALSE(base64url_decode("-_8=", out)) << "padding";
  ASSERT_TRUE(base64url_decode("Zg", out));  // "f"
  EXPECT_FALSE(base64url_decode("Zh", out));
  EXPECT_FALSE(base64url_decode("Zg==", out));
}

TEST(Crypto, Sha256AndHmacMatchKnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Crypto, DigestsOverPiecesMatchTheKnownVectors) {
  Digest sha(Digest::Algorithm::sha256);
  sha.update("a");
  sha.update("");
  sha.update("bc");
  EXPECT_EQ(sha.hex_final(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Digest md5(Digest::Algorithm::md5);  // RFC 1321 test suite
  md5.update("message ");
  md5.update("digest");
  EXPECT_EQ(md5.hex_final(), "f96b697d7cb7938d525a2f31aaf161d0");
}

}  // namespace
}  // namespace karma::crypto
