#include "core/config.hpp"

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace karma {
namespace {

// Parses `args` the way `karma serve` does.
Config parse(std::vector<std::string> args) {
  CLI::App app;
  Config config;
  bind_config(app, config);
  std::vector<const char*> argv{"karma"};
  for (auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return config;
}

struct EnvGuard {
  std::string name;
  EnvGuard(const std::string& n, const std::string& v) : name(n) {
    setenv(n.c_str(), v.c_str(), 1);
  }
  ~EnvGuard() { unsetenv(name.c_str()); }
};

TEST(Config, DefaultsMatchTheArchitecture) {
  const Config c = parse({});
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 3000);
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.effective_database_url(), "sqlite://./data/karma.db");
  EXPECT_EQ(c.access_token_expire_minutes, 30);
  EXPECT_EQ(c.env, "development");
  EXPECT_NO_THROW(c.validate());
}

TEST(Config, EnvironmentOverridesDefaultsAndFlagsOverrideEnvironment) {
  EnvGuard port("PORT", "4000");
  EnvGuard url("DATABASE_URL", "postgresql://u:p@db/karma");
  EXPECT_EQ(parse({}).port, 4000);
  EXPECT_EQ(parse({}).effective_database_url(), "postgresql://u:p@db/karma");
  EXPECT_EQ(parse({"--port", "5000"}).port, 5000);
}

TEST(Config, DotenvFillsOnlyWhatIsUnset) {
  const auto path = std::filesystem::temp_directory_path() / "karma-config-test.env";
  {
    std::ofstream out(path);
    out << "# comment\nKARMA_TEST_A=from-file\nexport KARMA_TEST_B=\"quoted value\"\n"
           "KARMA_TEST_C='single'\nnot a line\n";
  }
  EnvGuard a("KARMA_TEST_A", "from-env");
  load_dotenv(path.string());
  EXPECT_STREQ(std::getenv("KARMA_TEST_A"), "from-env");
  EXPECT_STREQ(std::getenv("KARMA_TEST_B"), "quoted value");
  EXPECT_STREQ(std::getenv("KARMA_TEST_C"), "single");
  unsetenv("KARMA_TEST_B");
  unsetenv("KARMA_TEST_C");
  std::filesystem::remove(path);
  EXPECT_NO_THROW(load_dotenv("/nonexistent/.env"));
}

TEST(Config, ProductionRefusesTheDefaultSecret) {
  Config c = parse({"--env", "production"});
  EXPECT_THROW(c.validate(), std::runtime_error);
  c.secret_key = "short";
  EXPECT_THROW(c.validate(), std::runtime_error);
  c.secret_key = std::string(48, 'k');
  EXPECT_NO_THROW(c.validate());
}

TEST(Config, RejectsNonsense) {
  Config c;
  c.env = "staging";
  EXPECT_THROW(c.validate(), std::runtime_error);
  c = Config{};
  c.port = 70000;
  EXPECT_THROW(c.validate(), std::runtime_error);
  c = Config{};
  c.access_token_expire_minutes = 0;
  EXPECT_THROW(c.validate(), std::runtime_error);
  EXPECT_THROW(parse({"--port", "abc"}), CLI::ParseError);
}

}  // namespace
}  // namespace karma
