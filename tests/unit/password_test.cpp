#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/crypto.hpp"

namespace karma::auth {
namespace {

class PasswordTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { crypto::init(); }
};

TEST_F(PasswordTest, HashesAreArgon2idAndSalted) {
  PasswordHasher hasher(2);
  const auto a = hasher.hash("correct horse");
  const auto b = hasher.hash("correct horse");
  EXPECT_TRUE(a.starts_with("$argon2id$")) << a;
  EXPECT_NE(a, b) << "each hash must carry its own salt";
  EXPECT_EQ(a.find("correct horse"), std::string::npos);
}

TEST_F(PasswordTest, VerifiesOnlyTheRightPassword) {
  PasswordHasher hasher(2);
  const auto hash = hasher.hash("correct horse");
  EXPECT_TRUE(hasher.verify(hash, "correct horse"));
  EXPECT_FALSE(hasher.verify(hash, "correct horsE"));
  EXPECT_FALSE(hasher.verify(hash, ""));
  EXPECT_FALSE(hasher.verify("not a hash", "correct horse"));
}

TEST_F(PasswordTest, ConcurrentCallersShareTheBoundedSlots) {
  PasswordHasher hasher(1);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&hasher, &ok, i] {
      const std::string pw = "pw-" + std::to_string(i);
      ok += hasher.verify(hasher.hash(pw), pw);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
}

}  // namespace
}  // namespace karma::auth
