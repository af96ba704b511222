#pragma once
// What a file is, from its name and its first bytes: extension, MIME type and the contract's
// coarse `type` (document, image, video, audio, archive, code, data, other).
#include <string>
#include <string_view>

namespace karma::files {

struct FileKind {
  std::string extension;  // lowercase, without the dot; empty when the name has none
  std::string mime_type;
  std::string type;
};

// `head` is the start of the content (up to 512 bytes). Known signatures win over the
// extension, so a PNG named "notes.txt" is an image; otherwise the extension decides, and
// content that is neither known nor text is application/octet-stream.
FileKind classify(std::string_view name, std::string_view head);

}  // namespace karma::files
