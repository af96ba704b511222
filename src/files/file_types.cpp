#include "files/file_types.hpp"

#include <array>

#include "core/validation.hpp"

namespace karma::files {
namespace {

struct KnownType {
  std::string_view extension, mime, type;
};

constexpr std::array kByExtension{
    KnownType{"txt", "text/plain", "document"},
    KnownType{"md", "text/markdown", "document"},
    KnownType{"pdf", "application/pdf", "document"},
    KnownType{"doc", "application/msword", "document"},
    KnownType{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "document"},
    KnownType{"xls", "application/vnd.ms-excel", "document"},
    KnownType{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "document"},
    KnownType{"ppt", "application/vnd.ms-powerpoint", "document"},
    KnownType{"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
              "document"},
    KnownType{"rtf", "application/rtf", "document"},
    KnownType{"png", "image/png", "image"},
    KnownType{"jpg", "image/jpeg", "image"},
    KnownType{"jpeg", "image/jpeg", "image"},
    KnownType{"gif", "image/gif", "image"},
    KnownType{"webp", "image/webp", "image"},
    KnownType{"svg", "image/svg+xml", "image"},
    KnownType{"bmp", "image/bmp", "image"},
    KnownType{"mp4", "video/mp4", "video"},
    KnownType{"mov", "video/quicktime", "video"},
    KnownType{"webm", "video/webm", "video"},
    KnownType{"mkv", "video/x-matroska", "video"},
    KnownType{"avi", "video/x-msvideo", "video"},
    KnownType{"mp3", "audio/mpeg", "audio"},
    KnownType{"wav", "audio/wav", "audio"},
    KnownType{"ogg", "audio/ogg", "audio"},
    KnownType{"flac", "audio/flac", "audio"},
    KnownType{"m4a", "audio/mp4", "audio"},
    KnownType{"zip", "application/zip", "archive"},
    KnownType{"gz", "application/gzip", "archive"},
    KnownType{"tar", "application/x-tar", "archive"},
    KnownType{"7z", "application/x-7z-compressed", "archive"},
    KnownType{"rar", "application/vnd.rar", "archive"},
    KnownType{"py", "text/x-python", "code"},
    KnownType{"js", "text/javascript", "code"},
    KnownType{"ts", "text/x-typescript", "code"},
    KnownType{"cpp", "text/x-c++src", "code"},
    KnownType{"hpp", "text/x-c++hdr", "code"},
    KnownType{"c", "text/x-csrc", "code"},
    KnownType{"h", "text/x-chdr", "code"},
    KnownType{"go", "text/x-go", "code"},
    KnownType{"rs", "text/x-rust", "code"},
    KnownType{"java", "text/x-java", "code"},
    KnownType{"sh", "application/x-sh", "code"},
    KnownType{"html", "text/html", "code"},
    KnownType{"css", "text/css", "code"},
    KnownType{"json", "application/json", "data"},
    KnownType{"csv", "text/csv", "data"},
    KnownType{"xml", "application/xml", "data"},
    KnownType{"yaml", "application/yaml", "data"},
    KnownType{"yml", "application/yaml", "data"},
    KnownType{"parquet", "application/vnd.apache.parquet", "data"},
    KnownType{"db", "application/vnd.sqlite3", "data"},
    KnownType{"log", "text/plain", "document"},
};

struct Signature {
  std::string_view magic;
  std::size_t offset;
  std::string_view mime, type;
};

constexpr std::array kSignatures{
    Signature{"\x89PNG\r\n\x1a\n", 0, "image/png", "image"},
    Signature{"\xFF\xD8\xFF", 0, "image/jpeg", "image"},
    Signature{"GIF87a", 0, "image/gif", "image"},
    Signature{"GIF89a", 0, "image/gif", "image"},
    Signature{"%PDF-", 0, "application/pdf", "document"},
    Signature{"ftyp", 4, "video/mp4", "video"},
    Signature{"\x1A\x45\xDF\xA3", 0, "video/webm", "video"},
    Signature{"ID3", 0, "audio/mpeg", "audio"},
    Signature{"fLaC", 0, "audio/flac", "audio"},
    Signature{"OggS", 0, "audio/ogg", "audio"},
    Signature{"\x1F\x8B", 0, "application/gzip", "archive"},
    Signature{"7z\xBC\xAF\x27\x1C", 0, "application/x-7z-compressed", "archive"},
    Signature{"Rar!\x1A\x07", 0, "application/vnd.rar", "archive"},
};

bool looks_like_text(std::string_view head) {
  for (unsigned char c : head)
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f')) return false;
  return true;
}

}  // namespace

FileKind classify(std::string_view name, std::string_view head) {
  FileKind kind;
  // What follows the last dot, when it is short enough to be an extension: "notes.2026 draft
  // of the plan for …" has none (and the column holds 50 characters).
  constexpr std::size_t kMaxExtensionBytes = 32;
  const std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > 0 && dot + 1 < name.size() &&
      name.size() - dot - 1 <= kMaxExtensionBytes)
    kind.extension = ascii_lower(name.substr(dot + 1));
  const KnownType* known = nullptr;
  for (const auto& t : kByExtension)
    if (t.extension == kind.extension) known = &t;
  // ZIP signatures also open Office documents: keep the extension's more precise answer.
  if (head.starts_with("PK\x03\x04") || head.starts_with("PK\x05\x06")) {
    if (known && (known->type == "document" || known->type == "archive")) {
      kind.mime_type = known->mime;
      kind.type = known->type;
    } else {
      kind.mime_type = "application/zip";
      kind.type = "archive";
    }
    return kind;
  }
  for (const auto& sig : kSignatures) {
    if (head.size() >= sig.offset + sig.magic.size() &&
        head.substr(sig.offset, sig.magic.size()) == sig.magic) {
      kind.mime_type = sig.mime;
      kind.type = sig.type;
      if (known && known->type == sig.type) kind.mime_type = known->mime;  // mov vs mp4, m4a
      return kind;
    }
  }
  if (known) {
    kind.mime_type = known->mime;
    kind.type = known->type;
    return kind;
  }
  if (!head.empty() && looks_like_text(head)) {
    kind.mime_type = "text/plain";
    kind.type = "document";
    return kind;
  }
  kind.mime_type = "application/octet-stream";
  kind.type = "other";
  return kind;
}

}  // namespace karma::files
