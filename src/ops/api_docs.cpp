#include "ops/api_docs.hpp"

#include <zlib.h>

#include <array>
#include <fstream>
#include <sstream>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/validation.hpp"

#ifndef KARMA_DEFAULT_DOCS_DIR
#define KARMA_DEFAULT_DOCS_DIR "web/docs/node_modules/swagger-ui-dist"
#endif

namespace karma::ops {
namespace {

using http::Request;
using http::Response;

// Scripts come from this origin only; Swagger UI sets inline styles and shows data: images.
constexpr std::string_view kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

constexpr std::string_view kPage = R"(<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Karma API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/karma-docs.js"></script>
</body>
</html>
)";

// A separate file, not an inline script, so the page's policy can forbid inline scripts.
constexpr std::string_view kScript = R"(window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  displayOperationId: true,
  displayRequestDuration: true,
  persistAuthorization: true,
});
)";

struct AssetFile {
  std::string_view name;
  std::string_view content_type;
};
constexpr std::array kSwaggerFiles{
    AssetFile{"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    AssetFile{"swagger-ui.css", "text/css; charset=utf-8"},
    AssetFile{"favicon-32x32.png", "image/png"},
};

std::shared_ptr<const std::string> gzip(const std::string& bytes) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return nullptr;
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (result != Z_STREAM_END || out.size() >= bytes.size()) return nullptr;
  return std::make_shared<const std::string>(std::move(out));
}

DocsAsset make_asset(std::string bytes, std::string_view content_type) {
  DocsAsset asset;
  asset.content_type = content_type;
  asset.etag.reserve(34);
  asset.etag += '"';
  asset.etag.append(crypto::sha256_hex(bytes), 0, 32);
  asset.etag += '"';
  if (!content_type.starts_with("image/")) asset.gzipped = gzip(bytes);
  asset.bytes = std::make_shared<const std::string>(std::move(bytes));
  return asset;
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(bytes).str();
}

// Accept-Encoding names gzip (or *) without q=0.
bool accepts_gzip(std::string_view header) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    const std::size_t semicolon = item.find(';');
    const std::string_view coding = trim(item.substr(0, semicolon));
    if (http::iequals(coding, "gzip") || coding == "*") {
      std::string_view params =
          semicolon == std::string_view::npos ? "" : trim(item.substr(semicolon + 1));
      const bool refused =
          params.starts_with("q=0") && params.find_first_not_of("0.", 2) == std::string_view::npos;
      return !refused;
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

Response serve(const DocsAsset& asset, const Request& req) {
  if (const auto inm = req.header("if-none-match");
      !inm.empty() && http::etag_matches(inm, asset.etag)) {
    Response r = Response::not_modified(asset.etag);
    r.set_header("vary", "accept-encoding");
    return r;
  }
  const bool compressed = asset.gzipped && accepts_gzip(req.header("accept-encoding"));
  Response r = Response::shared(200, compressed ? asset.gzipped : asset.bytes, asset.content_type);
  if (compressed) r.set_header("content-encoding", "gzip");
  r.set_header("vary", "accept-encoding");
  r.set_header("etag", asset.etag);
  // Asset names carry no version, so a browser revalidates (a 304) rather than guesses.
  r.set_header("cache-control", "no-cache");
  r.set_header("x-content-type-options", "nosniff");
  r.set_header("content-security-policy", std::string(kPolicy));
  return r;
}

}  // namespace

ApiDocs::ApiDocs(const std::filesystem::path& assets_dir) {
  for (const AssetFile& file : kSwaggerFiles) {
    auto bytes = read_file(assets_dir / file.name);
    if (!bytes) {
      log::warn("API docs not installed: /docs answers 503",
                {{"missing", (assets_dir / file.name).string()},
                 {"fix", "npm ci in web/docs, or set DOCS_ASSETS_DIR"}});
      assets_.clear();
      return;
    }
    assets_.emplace(file.name, make_asset(std::move(*bytes), file.content_type));
  }
  assets_.emplace("index.html", make_asset(std::string(kPage), "text/html; charset=utf-8"));
  assets_.emplace("karma-docs.js",
                  make_asset(std::string(kScript), "text/javascript; charset=utf-8"));
  installed_ = true;
}

const DocsAsset* ApiDocs::find(std::string_view name) const {
  const auto it = assets_.find(name);
  return it == assets_.end() ? nullptr : &it->second;
}

std::filesystem::path default_docs_assets_dir() {
  return KARMA_DEFAULT_DOCS_DIR;
}

void mount_api_docs(http::Router& router, std::shared_ptr<const ApiDocs> docs) {
  using namespace http::schema;
  auto require_installed = [](const ApiDocs& d) {
    if (!d.installed())
      throw AppError(ErrorCode::unavailable,
                     "The API page is not installed: run npm ci in web/docs or set "
                     "DOCS_ASSETS_DIR (the API itself is described at /api/openapi.json)");
  };
  router
      .get("/docs",
           [docs, require_installed](Request& req) {
             require_installed(*docs);
             return serve(*docs->find("index.html"), req);
           },
           {.guard = http::Guard::open, .blocking = false})
      .describe(
          {.operation_id = "docsPage",
           .summary = "This interactive API page (Swagger UI)",
           .tag = "Operations",
           .replies = {{200, string(), "HTML page", "text/html"}, {304, nullptr, "Not modified"}},
           .errors = {503}});
  router
      .get("/docs/:asset",
           [docs, require_installed](Request& req) {
             require_installed(*docs);
             const DocsAsset* asset = docs->find(req.param("asset"));
             if (!asset || req.param("asset") == "index.html")
               throw AppError(ErrorCode::not_found, "No such file of the API page");
             return serve(*asset, req);
           },
           {.guard = http::Guard::open, .blocking = false})
      .describe({.operation_id = "docsAsset",
                 .summary = "A script, style sheet or image of the API page",
                 .tag = "Operations",
                 .replies = {{200, binary(), "The file", "application/octet-stream"},
                             {304, nullptr, "Not modified"}},
                 .errors = {404, 503}});
}

}  // namespace karma::ops
