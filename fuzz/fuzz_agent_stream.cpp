// Any sequence of provider chunks, through RunStream and every encoder: each output must pass
// the AG-UI verifier's rules (or the contract's). A violation aborts with the rule it broke.
#include <cstdio>
#include <cstdlib>

#include "agent_stream_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string why = karma::agent::testing::check_all_encoders({data, size});
  if (!why.empty()) {
    std::fprintf(stderr, "rule broken: %s\n", why.c_str());
    std::abort();
  }
  return 0;
}
