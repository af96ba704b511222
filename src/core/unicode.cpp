#include "core/unicode.hpp"

#include <unicode/locid.h>
#include <unicode/unistr.h>

namespace karma {

std::string unicode_lower(std::string_view text) {
  // ASCII, the common case, needs no round trip through UTF-16.
  bool ascii = true;
  for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  std::string out;
  if (ascii) {
    out.assign(text);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  unicode.toLower(icu::Locale::getRoot());
  unicode.toUTF8String(out);
  return out;
}

}  // namespace karma
