// JSON body decoding and the validation of every request DTO: parse_object, then each body
// parser of the routes. Refusals are AppErrors whose envelopes are strict JSON.
#include <cstdint>
#include <string>

#include "agent/runtime/run_input.hpp"
#include "auth/auth_json.hpp"
#include "avatars/avatar_json.hpp"
#include "devices/command_json.hpp"
#include "devices/device_json.hpp"
#include "fuzz_common.hpp"
#include "projects/project_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace karma;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  boost::json::object object;
  bool parsed = false;
  fuzz::refusable([&] {
    object = json::parse_object(body);
    parsed = true;
  });
  if (!parsed) return 0;
  fuzz::refusable([&] { (void)agent::parse_run_input(object); });
  fuzz::refusable([&] { (void)auth::parse_register(object); });
  fuzz::refusable([&] { (void)auth::parse_login(object); });
  fuzz::refusable([&] { (void)auth::parse_refresh_token(object); });
  fuzz::refusable([&] { (void)auth::parse_profile_change(object); });
  fuzz::refusable([&] { (void)auth::parse_password_change(object); });
  fuzz::refusable([&] { (void)devices::parse_new_device(object); });
  fuzz::refusable([&] { (void)devices::parse_device_change(object); });
  fuzz::refusable([&] { (void)devices::parse_heartbeat(object); });
  fuzz::refusable([&] { (void)devices::parse_new_command(object); });
  fuzz::refusable([&] { (void)avatars::parse_new_avatar(object); });
  fuzz::refusable([&] { (void)avatars::parse_avatar_change(object); });
  fuzz::refusable([&] { (void)avatars::parse_new_review(object); });
  fuzz::refusable([&] { (void)projects::parse_new_project(object); });
  fuzz::refusable([&] { (void)projects::parse_project_change(object); });
  fuzz::refusable([&] { (void)projects::parse_new_member(object); });
  fuzz::refusable([&] { (void)projects::parse_member_role(object); });
  fuzz::refusable([&] { (void)projects::parse_new_task(object); });
  fuzz::refusable([&] { (void)projects::parse_task_change(object); });
  fuzz::refusable([&] { (void)projects::parse_assignment(object); });
  // What was accepted goes back out through the serialiser: strict JSON too.
  fuzz::require_strict_json(json::serialize(object));
  return 0;
}
