// Blobs as objects in an S3-compatible bucket, spoken to directly: SigV4-signed requests over
// the outbound HTTP client. S3 cannot rename, so every upload gets a key of its own (copies of
// a file still share it through the caller's reference count).
#include <chrono>
#include <ctime>

#include "core/crypto.hpp"
#include "http/outbound.hpp"
#include "storage/blob_store.hpp"
#include "storage/sigv4.hpp"

namespace karma::storage {
namespace {

constexpr std::size_t kErrorBodyLimit = 64 * 1024;
constexpr std::size_t kMinPartSize = 5 * 1024 * 1024;  // S3's floor for every part but the last

std::string amz_date_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

std::string xml_unescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (text.substr(i, entity.size()) == entity) {
          out.push_back(c);
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

// The text of the first <tag> element: S3's answers are flat enough not to need a parser.
std::string xml_element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto begin = xml.find(open);
  if (begin == std::string_view::npos) return {};
  const auto end = xml.find(close, begin + open.size());
  if (end == std::string_view::npos) return {};
  return xml_unescape(xml.substr(begin + open.size(), end - begin - open.size()));
}

class S3BlobStore;

class S3Writer final : public BlobWriter {
 public:
  S3Writer(S3BlobStore& store, std::string key) : store_(store), key_(std::move(key)) {}
  ~S3Writer() override;
  void write(std::string_view bytes) override;
  std::string commit(const std::string& sha256_hex) override;

 private:
  void flush_part();

  S3BlobStore& store_;
  std::string key_;
  std::string part_;  // bytes not yet sent
  std::string upload_id_;
  std::vector<std::string> etags_;
  bool committed_ = false;
};

class S3Reader final : public BlobReader {
 public:
  S3Reader(std::unique_ptr<http::ResponseStream> response, std::uint64_t length)
      : response_(std::move(response)), remaining_(length) {}

  std::size_t read(std::span<char> buffer) override {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining_));
    if (want == 0) return 0;
    std::size_t n = 0;
    try {
      n = response_->read(buffer.first(want));
    } catch (const http::OutboundError& e) {
      throw StorageError(StorageError::Kind::io, e.what());
    }
    if (n == 0) throw StorageError(StorageError::Kind::io, "blob shorter than recorded");
    remaining_ -= n;
    return n;
  }

 private:
  std::unique_ptr<http::ResponseStream> response_;
  std::uint64_t remaining_;
};

class S3BlobStore final : public BlobStore {
 public:
  explicit S3BlobStore(S3Settings settings)
      : settings_(std::move(settings)), client_(origin(settings_), [&] {
          http::OutboundOptions o;
          o.ca_file = settings_.ca_file;
          o.max_idle_connections = 32;
          return o;
        }()) {
    if (settings_.bucket.empty()) throw std::invalid_argument("S3 needs a bucket");
    if (settings_.part_size < kMinPartSize)
      throw std::invalid_argument("S3 part size must be at least 5 MiB");
  }

  std::unique_ptr<BlobWriter> create() override {
    return std::make_unique<S3Writer>(*this, settings_.key_prefix + crypto::uuid_v4());
  }

  std::unique_ptr<BlobReader> open(const std::string& key, std::uint64_t offset,
                                   std::uint64_t length) override {
    std::vector<http::Header> headers;
    if (length > 0)
      headers.push_back(
          {"range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)});
    auto response = send("GET", key, {}, {}, std::move(headers));
    // A server that ignores Range answers 200 with the whole object.
    if (response->status() == 200 && offset > 0)
      throw StorageError(StorageError::Kind::io, "the object store ignored a Range request");
    return std::make_unique<S3Reader>(std::move(response), length);
  }

  void remove(const std::string& key) override {
    auto response = send("DELETE", key, {}, {}, {}, /*absent_ok=*/true);
    response->read_all(kErrorBodyLimit);
  }

  bool content_addressed() const override { return false; }

  std::size_t part_size() const { return settings_.part_size; }

  // One signed request for `key`; a status of 300 or more throws with S3's error code.
  std::unique_ptr<http::ResponseStream> send(const std::string& method, const std::string& key,
                                             std::vector<std::pair<std::string, std::string>> query,
                                             std::string_view body,
                                             std::vector<http::Header> headers,
                                             bool absent_ok = false,
                                             const std::string& payload_sha256 = {}) {
    SigV4Request signing;
    signing.method = method;
    signing.path = (settings_.endpoint.empty() ? "/" : "/" + settings_.bucket + "/") + key;
    signing.query = std::move(query);
    // The payload's hash is signed (never UNSIGNED-PAYLOAD): over plain http it is what keeps
    // a part from being altered on the way.
    signing.payload_sha256 = payload_sha256.empty() ? crypto::sha256_hex(body) : payload_sha256;
    const std::string date = amz_date_now();
    signing.headers = {{"host", client_.host()},
                       {"x-amz-content-sha256", signing.payload_sha256},
                       {"x-amz-date", date}};
    const std::string target = request_target(signing);
    http::OutboundRequest request{method, target, std::move(headers), body};
    for (auto& [name, value] : signing.headers)
      if (name != "host") request.headers.push_back({name, value});
    request.headers.push_back({"authorization", sigv4_authorization(credentials(), signing, date)});
    std::unique_ptr<http::ResponseStream> response;
    try {
      response = client_.send(request);
    } catch (const http::OutboundError& e) {
      throw StorageError(StorageError::Kind::io, e.what());
    }
    const int status = response->status();
    if (status < 300 || (absent_ok && status == 404)) return response;
    std::string code;
    try {
      code = xml_element(response->read_all(kErrorBodyLimit), "Code");
    } catch (const http::OutboundError&) {
    }
    const auto kind = status == 404 && code != "NoSuchBucket" && code != "NoSuchUpload"
                          ? StorageError::Kind::not_found
                          : StorageError::Kind::io;
    throw StorageError(kind, method + " " + key + ": S3 answered " + std::to_string(status) + " " +
                                 (code.empty() ? "without an error code" : code));
  }

 private:
  static std::string origin(const S3Settings& s) {
    if (!s.endpoint.empty()) return s.endpoint;
    return "https://" + s.bucket + ".s3." + s.region + ".amazonaws.com";
  }

  SigV4Credentials credentials() const {
    return {settings_.access_key, settings_.secret_key, settings_.region, "s3"};
  }

  S3Settings settings_;
  http::OutboundClient client_;
};

S3Writer::~S3Writer() {
  if (committed_ || upload_id_.empty()) return;
  // Parts of an abandoned upload are stored (and billed) until the upload is aborted.
  try {
    store_.send("DELETE", key_, {{"uploadId", upload_id_}}, {}, {}, true)
        ->read_all(kErrorBodyLimit);
  } catch (const std::exception&) {
    // A bucket lifecycle rule for incomplete uploads is the backstop (docs/design.md).
  }
}

void S3Writer::write(std::string_view bytes) {
  while (!bytes.empty()) {
    // A full part goes out only once more bytes follow: a blob of exactly one part is one PUT.
    if (part_.size() == store_.part_size()) flush_part();
    const std::size_t take = std::min(store_.part_size() - part_.size(), bytes.size());
    part_.append(bytes.data(), take);
    bytes.remove_prefix(take);
  }
}

void S3Writer::flush_part() {
  if (upload_id_.empty()) {
    auto created = store_.send("POST", key_, {{"uploads", ""}}, {}, {});
    upload_id_ = xml_element(created->read_all(kErrorBodyLimit), "UploadId");
    if (upload_id_.empty())
      throw StorageError(StorageError::Kind::io, "S3 returned no UploadId for " + key_);
  }
  const std::string number = std::to_string(etags_.size() + 1);
  auto response =
      store_.send("PUT", key_, {{"partNumber", number}, {"uploadId", upload_id_}}, part_, {});
  std::string etag(response->header("etag"));
  response->read_all(kErrorBodyLimit);
  if (etag.empty()) throw StorageError(StorageError::Kind::io, "S3 returned no ETag for a part");
  etags_.push_back(std::move(etag));
  part_.clear();
}

std::string S3Writer::commit(const std::string& sha256_hex) {
  if (upload_id_.empty()) {
    // Small enough for one request, whose payload hash the caller already computed.
    store_.send("PUT", key_, {}, part_, {}, false, sha256_hex)->read_all(kErrorBodyLimit);
  } else {
    if (!part_.empty()) flush_part();
    std::string manifest = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags_.size(); ++i)
      manifest += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags_[i] +
                  "</ETag></Part>";
    manifest += "</CompleteMultipartUpload>";
    auto response = store_.send("POST", key_, {{"uploadId", upload_id_}}, manifest,
                                {{"content-type", "application/xml"}});
    // S3 may answer 200 and report the failure in the body.
    const std::string body = response->read_all(kErrorBodyLimit);
    if (body.find("<Error>") != std::string::npos)
      throw StorageError(StorageError::Kind::io,
                         "completing " + key_ + " failed: " + xml_element(body, "Code"));
  }
  committed_ = true;
  return key_;
}

}  // namespace

std::unique_ptr<BlobStore> make_s3_blob_store(S3Settings settings) {
  return std::make_unique<S3BlobStore>(std::move(settings));
}

}  // namespace karma::storage
