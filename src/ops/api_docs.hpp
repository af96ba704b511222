#pragma once
// The interactive API page, GET /docs: Swagger UI over GET /api/openapi.json. Its assets come
// from npm (swagger-ui-dist, installed in web/docs by the scripts) and are served by karma
// itself, held in memory, gzipped once, with entity tags; no CDN is involved.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "http/router.hpp"

namespace karma::ops {

struct DocsAsset {
  std::string content_type;
  std::shared_ptr<const std::string> bytes;
  std::shared_ptr<const std::string> gzipped;  // null when gzip would not make it smaller
  std::string etag;
};

class ApiDocs {
 public:
  // Loads the Swagger UI files from `assets_dir`. A directory without them leaves the page
  // uninstalled: /docs then answers 503 saying how to install it.
  explicit ApiDocs(const std::filesystem::path& assets_dir);

  bool installed() const { return installed_; }
  // The page ("index.html"), its script and Swagger UI's files; null for any other name.
  const DocsAsset* find(std::string_view name) const;

 private:
  std::map<std::string, DocsAsset, std::less<>> assets_;
  bool installed_ = false;
};

// The directory the checkout's scripts install Swagger UI into.
std::filesystem::path default_docs_assets_dir();

// GET /docs and GET /docs/:asset.
void mount_api_docs(http::Router& router, std::shared_ptr<const ApiDocs> docs);

}  // namespace karma::ops
