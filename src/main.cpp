// karma: the Karma backend. Subcommands: serve, migrate, user create, version.
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>

#include "app.hpp"
#include "auth/auth_json.hpp"
#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "db/migrations.hpp"

#ifndef KARMA_VERSION
#define KARMA_VERSION "dev"
#endif

namespace {

using karma::Config;

int serve(const Config& config) {
  karma::App app(config);
  app.start();
  karma::log::info(
      "listening",
      {{"url", "http://" + config.host + ":" + std::to_string(app.port())},
       {"database", app.database().dialect() == karma::db::Dialect::sqlite ? "sqlite" : "postgres"},
       {"env", config.env}});
  std::cout << "Karma is listening on http://"
            << (config.host == "0.0.0.0" ? std::string("localhost") : config.host) << ":"
            << app.port() << std::endl;
  app.wait_for_signal();
  karma::log::info("stopped");
  return 0;
}

int migrate(const Config& config) {
  auto db = karma::open_configured_database(config);
  const auto applied = karma::db::migrate(*db);
  for (const auto& name : applied) std::cout << "applied " << name << "\n";
  if (applied.empty()) std::cout << "schema is up to date\n";
  return 0;
}

int create_user(const Config& config, const std::string& email, const std::string& name,
                const std::string& password, bool admin) {
  karma::App app(config);
  const auto input = karma::auth::parse_register(
      boost::json::object{{"email", email}, {"name", name}, {"password", password}});
  const auto session = app.auth().register_user(input, admin ? "admin" : "user");
  std::cout << karma::json::serialize(karma::auth::user_json(session.user)) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  karma::crypto::init();
  // .env fills in only what the environment leaves unset; flags override both.
  karma::load_dotenv(".env");

  CLI::App cli{"Karma backend: devices, files, projects, avatars and the AG-UI agent"};
  cli.require_subcommand(1);
  Config config;

  CLI::App* serve_cmd = cli.add_subcommand("serve", "Run the HTTP server");
  karma::bind_config(*serve_cmd, config);
  CLI::App* migrate_cmd = cli.add_subcommand("migrate", "Apply pending database migrations");
  karma::bind_config(*migrate_cmd, config);
  CLI::App* user_cmd = cli.add_subcommand("user", "Manage users");
  user_cmd->require_subcommand(1);
  CLI::App* create_cmd = user_cmd->add_subcommand("create", "Create a user");
  karma::bind_config(*create_cmd, config);
  std::string email, name, password;
  bool admin = false;
  create_cmd->add_option("--email", email, "Email address")->required();
  create_cmd->add_option("--name", name, "Display name")->required();
  create_cmd->add_option("--password", password, "Password (8..128 characters)")->required();
  create_cmd->add_flag("--admin", admin, "Give the user the admin role");
  CLI::App* version_cmd = cli.add_subcommand("version", "Print the version");

  CLI11_PARSE(cli, argc, argv);

  if (version_cmd->parsed()) {
    std::cout << "karma " << KARMA_VERSION << std::endl;
    return 0;
  }
  try {
    config.validate();
    karma::log::init(config.log_level);
    if (serve_cmd->parsed()) return serve(config);
    if (migrate_cmd->parsed()) return migrate(config);
    if (create_cmd->parsed()) return create_user(config, email, name, password, admin);
  } catch (const karma::AppError& e) {
    std::cerr << "karma: " << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "karma: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
