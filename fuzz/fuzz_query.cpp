// Query strings: the request target's decoding, the UTF-8 gate every route passes, then the
// list queries of devices, files, projects and the store, and the paging every list shares.
#include <cstdint>
#include <string>

#include "avatars/avatar_json.hpp"
#include "devices/device_json.hpp"
#include "files/file_json.hpp"
#include "fuzz_common.hpp"
#include "http/request_parser.hpp"
#include "projects/project_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace karma;
  const std::string target =
      "/api/devices?" + std::string(reinterpret_cast<const char*>(data), size);
  std::string path;
  QueryFields::Params query;
  if (!http::parse_target(target, path, query)) return 0;
  for (const auto& param : query) {
    bool text = true;
    fuzz::refusable([&] {
      text = false;
      require_storable(param.first, param.second);
      text = true;
    });
    if (!text) return 0;  // the router refuses the request here
  }
  fuzz::refusable([&] { (void)devices::parse_device_list(query); });
  fuzz::refusable([&] { (void)files::parse_file_query(query); });
  fuzz::refusable([&] { (void)avatars::parse_store_request(query); });
  fuzz::refusable([&] { (void)projects::parse_project_list(query); });
  fuzz::refusable([&] {
    Violations violations;
    QueryFields fields(query, violations);
    (void)read_paging(fields);
    violations.throw_if_any();
  });
  return 0;
}
