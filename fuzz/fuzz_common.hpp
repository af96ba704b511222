#pragma once
// What every fuzz target checks besides "no crash": an AppError is the only way to refuse input,
// and the envelope it becomes is strict UTF-8 JSON (Boost.JSON refuses malformed UTF-8 and
// "Infinity"). Anything else aborts, which libFuzzer reports with the input.
#include <boost/json/parse.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/app_error.hpp"
#include "core/json.hpp"

namespace karma::fuzz {

inline void require_strict_json(std::string_view text) {
  boost::system::error_code ec;
  (void)boost::json::parse(text, ec);
  if (ec) {
    std::fprintf(stderr, "not strict JSON (%s): %.*s\n", ec.message().c_str(),
                 static_cast<int>(text.size()), text.data());
    std::abort();
  }
}

// Runs `parse`; an AppError it throws must serialise to strict JSON.
template <class Parse>
void refusable(Parse parse) {
  try {
    parse();
  } catch (const AppError& e) {
    require_strict_json(json::error_envelope(e));
  }
}

}  // namespace karma::fuzz
