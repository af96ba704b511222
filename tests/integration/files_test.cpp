// API.md §3 (device files) on SQLite and PostgreSQL, with the local and the S3 blob store:
// uploads, listings, downloads with ranges and validators, overwrite, shared blobs, bad input,
// other users.
#include <boost/json.hpp>

#include <zlib.h>

#include <filesystem>
#include <future>
#include <map>

#include "core/crypto.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;
using http::ClientResponse;

constexpr const char* kBoundary = "----KarmaTestBoundary7MA4YWxk";

struct FormPart {
  std::string name;
  std::optional<std::string> filename;
  std::string content;
};

std::string form(const std::vector<FormPart>& parts, bool close = true) {
  std::string out;
  for (const auto& p : parts) {
    out += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + p.name +
           "\"";
    if (p.filename) out += "; filename=\"" + *p.filename + "\"";
    out += "\r\n\r\n" + p.content + "\r\n";
  }
  if (close) out += std::string("--") + kBoundary + "--\r\n";
  return out;
}

std::string random_content(std::size_t size) {
  return crypto::random_bytes(size);
}

class FilesTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    owner = register_account(client());
    device = create_device(owner);
  }

  std::string create_device(const Account& as) {
    const bj::object payload{{"name", "Files Box"},
                             {"model", "EOS-3A"},
                             {"serialNumber", "SN-" + crypto::hex(crypto::random_bytes(6))},
                             {"mac", "aa:bb:cc:00:11:22"}};
    const auto r = client().request("POST", "/api/devices", body(payload), bearer(as.access_token));
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("data").at("device").at("id").as_string());
  }

  std::string base(const std::string& device_id) { return "/api/devices/" + device_id; }

  ClientResponse upload(const std::string& payload, const Account* as = nullptr,
                        const std::string& device_id = {},
                        const std::string& content_type = std::string("multipart/form-data; "
                                                                      "boundary=") +
                                                          kBoundary) {
    return client().request("POST", base(device_id.empty() ? device : device_id) + "/files/upload",
                            payload,
                            {{"authorization", "Bearer " + (as ? *as : owner).access_token},
                             {"content-type", content_type}});
  }

  bj::object upload_file(const std::string& name, const std::string& content,
                         const std::string& folder = "/", const std::string& extra = {}) {
    std::vector<FormPart> parts{{"path", std::nullopt, folder}, {"file", name, content}};
    if (!extra.empty()) parts.push_back({"overwrite", std::nullopt, extra});
    const auto r = upload(form(parts));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("data").at("file").as_object();
  }

  ClientResponse call(const std::string& method, const std::string& path,
                      std::vector<http::Header> headers = {}, const Account* as = nullptr,
                      const std::string& payload = {}) {
    headers.push_back({"authorization", "Bearer " + (as ? *as : owner).access_token});
    return client().request(method, path, payload, headers);
  }

  bj::value list(const std::string& query = "") {
    const auto r = call("GET", base(device) + "/files" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("data");
  }

  bool in_s3() const { return GetParam().ends_with("_s3"); }

  std::size_t files_in(const std::string& sub) {
    const fs::path dir = fs::path(server().config.data_dir) / "blobs" / sub;
    std::size_t n = 0;
    if (fs::exists(dir))
      for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file();
    return n;
  }
  // Blobs in the store, read from the store itself (the local directory or the bucket).
  std::size_t stored_blobs() {
    return in_s3() ? list_s3_objects(server().config.s3_key_prefix).size() : files_in("objects");
  }
  // Unfinished writes: the local store's temporary files (S3 keeps unfinished multipart
  // uploads out of sight; they are counted by stored_blobs() once completed).
  std::size_t temp_files() { return in_s3() ? 0 : files_in("tmp"); }
  // A blob holding `content` is stored: found by its SHA-256 locally, by its MD5 (the ETag of a
  // one-request upload) in S3.
  bool blob_exists(const std::string& content) {
    if (!in_s3()) {
      const std::string sha = crypto::sha256_hex(content);
      return fs::exists(fs::path(server().config.data_dir) / "blobs" / "objects" /
                        sha.substr(0, 2) / sha);
    }
    crypto::Digest md5(crypto::Digest::Algorithm::md5);
    md5.update(content);
    const std::string etag = md5.hex_final();
    for (const auto& object : list_s3_objects(server().config.s3_key_prefix))
      if (object.etag == etag) return true;
    return false;
  }

  Account owner;
  std::string device;
};

TEST_P(FilesTest, UploadListGetDownloadDelete) {
  const std::string content = random_content(1'500'000);
  const bj::object file = upload_file("Report 2026.pdf", "%PDF-1.7\n" + content, "/docs/q1/");
  const std::string full = "%PDF-1.7\n" + content;
  const std::string sha = crypto::sha256_hex(full);
  crypto::Digest md5(crypto::Digest::Algorithm::md5);
  md5.update(full);
  EXPECT_EQ(file.at("name"), "Report 2026.pdf");
  EXPECT_EQ(file.at("path"), "/docs/q1/Report 2026.pdf");
  EXPECT_EQ(file.at("parentPath"), "/docs/q1");
  EXPECT_EQ(file.at("size").to_number<std::int64_t>(), static_cast<std::int64_t>(full.size()));
  EXPECT_EQ(file.at("type"), "document");
  EXPECT_EQ(file.at("mimeType"), "application/pdf");
  EXPECT_EQ(file.at("extension"), "pdf");
  EXPECT_EQ(file.at("category"), "user");
  EXPECT_EQ(file.at("isDirectory"), false);
  EXPECT_EQ(file.at("checksumSHA256"), sha.c_str());
  EXPECT_EQ(file.at("checksumMD5"), md5.hex_final().c_str());
  const std::string id(file.at("id").as_string());
  EXPECT_EQ(file.at("downloadUrl"), (base(device) + "/files/" + id + "/download").c_str());

  // The root lists the implicit-and-created folder chain with the bytes below it.
  const auto root = list();
  EXPECT_TRUE(root.at("files").as_array().empty());
  ASSERT_EQ(root.at("folders").as_array().size(), 1u);
  const auto& docs = root.at("folders").as_array()[0];
  EXPECT_EQ(docs.at("path"), "/docs");
  EXPECT_EQ(docs.at("folderCount"), 1);
  EXPECT_EQ(docs.at("fileCount"), 0);
  EXPECT_EQ(docs.at("totalSize").to_number<std::int64_t>(), static_cast<std::int64_t>(full.size()));
  EXPECT_EQ(list("?path=/docs/q1").at("files").as_array().size(), 1u);
  EXPECT_EQ(list("?recursive=true").at("files").as_array().size(), 1u);
  EXPECT_EQ(list("?recursive=true&type=image").at("files").as_array().size(), 0u);
  EXPECT_EQ(list("?recursive=true&q=report").at("files").as_array().size(), 1u);

  const auto got = call("GET", base(device) + "/files/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json().at("data").at("id"), id.c_str());

  const std::string url = base(device) + "/files/" + id + "/download";
  const auto whole = call("GET", url);
  ASSERT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.body == full);
  EXPECT_EQ(whole.header("content-type"), "application/pdf");
  EXPECT_EQ(whole.header("etag"), "\"" + sha + "\"");
  EXPECT_EQ(whole.header("content-disposition"),
            "attachment; filename=\"Report 2026.pdf\"; filename*=UTF-8''Report%202026.pdf");
  EXPECT_EQ(call("GET", url, {{"if-none-match", "\"" + sha + "\""}}).status, 304);
  EXPECT_EQ(call("GET", url, {{"if-none-match", "\"other\""}}).status, 200);
  const auto part = call("GET", url, {{"range", "bytes=10-19"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, full.substr(10, 10));
  EXPECT_EQ(part.header("content-range"), "bytes 10-19/" + std::to_string(full.size()));
  const auto tail = call("GET", url, {{"range", "bytes=-5"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, full.substr(full.size() - 5));
  const auto beyond = call("GET", url, {{"range", "bytes=99999999-"}});
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(error_code(beyond), "RANGE_NOT_SATISFIABLE");
  EXPECT_EQ(beyond.header("content-range"), "bytes */" + std::to_string(full.size()));
  // RFC 9110 §14.2: a Range the server does not take is ignored: the whole file, never a 400.
  for (const char* ignored : {"bytes=a-b", "bytes=0-1,3-4", "items=0-1", "bytes=9-3", "bytes=-",
                              "bytes=", "bytes=1-2-3", "bytes=99999999999999999999999-"}) {
    const auto whole = call("GET", url, {{"range", ignored}});
    EXPECT_EQ(whole.status, 200) << ignored;
    EXPECT_TRUE(whole.body == full) << ignored;
  }
  EXPECT_EQ(call("GET", url, {{"range", "BYTES=10-19"}}).status, 206)
      << "the unit is case-insensitive";
  EXPECT_TRUE(call("GET", base(device) + "/files/" + id)
                  .json()
                  .at("data")
                  .as_object()
                  .contains("accessedAt"));

  EXPECT_TRUE(blob_exists(full));
  const auto removed = call("DELETE", base(device) + "/files/" + id);
  EXPECT_EQ(removed.status, 200);
  EXPECT_TRUE(removed.json().at("data").is_null());
  EXPECT_EQ(call("GET", base(device) + "/files/" + id).status, 404);
  EXPECT_EQ(call("GET", url).status, 404);
  EXPECT_FALSE(blob_exists(full)) << "the last reference took the blob with it";
}

TEST_P(FilesTest, OverwriteIsExplicitAndCopiesShareOneBlob) {
  const std::string first = random_content(20'000);
  const std::string second = random_content(30'000);
  const bj::object a = upload_file("data.bin", first, "/x");
  const auto clash = upload(form({{"path", std::nullopt, "/x"}, {"file", "data.bin", second}}));
  EXPECT_EQ(clash.status, 409);
  EXPECT_EQ(error_code(clash), "CONFLICT");
  EXPECT_FALSE(blob_exists(second)) << "a refused upload leaves no blob";
  EXPECT_EQ(call("GET", std::string(a.at("downloadUrl").as_string())).body, first);

  // The same bytes under another name share the blob (deleting one copy below keeps it).
  const bj::object copy = upload_file("copy.bin", first, "/y");

  // Overwriting keeps the id, replaces the bytes; the old blob stays for the copy.
  const bj::object replaced = upload_file("data.bin", second, "/x", "true");
  EXPECT_EQ(replaced.at("id"), a.at("id"));
  EXPECT_EQ(call("GET", std::string(a.at("downloadUrl").as_string())).body, second);
  EXPECT_TRUE(blob_exists(first));
  EXPECT_EQ(
      call("DELETE", base(device) + "/files/" + std::string(copy.at("id").as_string())).status,
      200);
  EXPECT_FALSE(blob_exists(first));
  EXPECT_TRUE(blob_exists(second));
  EXPECT_EQ(temp_files(), 0u);
}

TEST_P(FilesTest, BadUploadsAreRefusedAndLeaveNothing) {
  const std::size_t blobs_before = stored_blobs();
  const std::string ok = random_content(1000);
  const std::string multipart = std::string("multipart/form-data; boundary=") + kBoundary;
  struct Case {
    const char* what;
    std::string payload;
    std::string content_type;
    int status;
  };
  const std::string big = random_content((4 << 20) + 1);
  std::string many;
  for (int i = 0; i < 10000; ++i)
    many += std::string("--") + kBoundary +
            "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n";
  many += form({{"file", "a.bin", ok}});
  const std::vector<Case> cases{
      {"no boundary", form({{"file", "a.bin", ok}}), "multipart/form-data", 400},
      {"not multipart", form({{"file", "a.bin", ok}}), "application/json", 400},
      {"truncated", form({{"file", "a.bin", ok}}, false), multipart, 400},
      {"two files", form({{"file", "a.bin", ok}, {"file", "b.bin", ok}}), multipart, 400},
      {"empty file", form({{"file", "a.bin", ""}}), multipart, 400},
      {"no file", form({{"path", std::nullopt, "/"}}), multipart, 400},
      {"file without filename", form({{"file", std::nullopt, ok}}), multipart, 400},
      {"10 000 parts", many, multipart, 400},
      {"slashes in the name", form({{"file", "../../etc/passwd", ok}}), multipart, 400},
      {"traversal in the folder", form({{"path", std::nullopt, "/a/../b"}, {"file", "a.bin", ok}}),
       multipart, 400},
      {"relative folder", form({{"path", std::nullopt, "a"}, {"file", "a.bin", ok}}), multipart,
       400},
      {"bad category", form({{"category", std::nullopt, "nope"}, {"file", "a.bin", ok}}), multipart,
       400},
      {"bad overwrite", form({{"overwrite", std::nullopt, "yes"}, {"file", "a.bin", ok}}),
       multipart, 400},
      {"over the file limit", form({{"file", "big.bin", big}}), multipart, 413},
  };
  for (const auto& c : cases) {
    const auto r = upload(c.payload, nullptr, {}, c.content_type);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
  }
  EXPECT_EQ(list("?recursive=true").at("files").as_array().size(), 0u);
  EXPECT_FALSE(blob_exists(ok));
  EXPECT_FALSE(blob_exists(big));
  EXPECT_EQ(stored_blobs(), blobs_before);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_P(FilesTest, StorageQuotaIsEnforced) {
  upload_file("first.bin", random_content(3 << 20));
  const std::size_t blobs_before = stored_blobs();
  const auto over = upload(form({{"file", "second.bin", random_content((7 << 19))}}));  // 3.5 MiB
  EXPECT_EQ(over.status, 403) << over.body;
  EXPECT_EQ(error_code(over), "FORBIDDEN");
  EXPECT_EQ(list().at("files").as_array().size(), 1u);
  EXPECT_EQ(stored_blobs(), blobs_before);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_P(FilesTest, FoldersAreCreatedAndCounted) {
  const auto made = call("POST", base(device) + "/folders", {{"content-type", "application/json"}},
                         nullptr, body({{"path", "/a/b"}}));
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.json().at("data").at("folder").at("path"), "/a/b");
  EXPECT_EQ(made.json().at("data").at("folder").at("parentPath"), "/a");
  EXPECT_EQ(call("POST", base(device) + "/folders", {{"content-type", "application/json"}}, nullptr,
                 body({{"path", "/a/b"}}))
                .status,
            409);
  for (const char* bad : {"../x", "/a//b", "/", ""}) {
    EXPECT_EQ(call("POST", base(device) + "/folders", {{"content-type", "application/json"}},
                   nullptr, body({{"path", bad}}))
                  .status,
              400)
        << bad;
  }
  upload_file("note.txt", "hello", "/a");
  const auto root = list();
  ASSERT_EQ(root.at("folders").as_array().size(), 1u);
  EXPECT_EQ(root.at("folders").as_array()[0].at("fileCount"), 1);
  EXPECT_EQ(root.at("folders").as_array()[0].at("folderCount"), 1);
  // A file cannot hide a folder and the other way round.
  const auto clash = upload(form({{"path", std::nullopt, "/a"}, {"file", "b", "x"}}));
  EXPECT_EQ(clash.status, 409);
}

TEST_P(FilesTest, AnotherUsersDeviceAndFilesAreNotFound) {
  const bj::object file = upload_file("secret.txt", "top secret", "/");
  const std::string id(file.at("id").as_string());
  const Account other = register_account(client());
  const std::string theirs = create_device(other);
  const std::string mine = base(device);
  EXPECT_EQ(call("GET", mine + "/files", {}, &other).status, 404);
  EXPECT_EQ(call("GET", mine + "/files/" + id, {}, &other).status, 404);
  EXPECT_EQ(call("GET", mine + "/files/" + id + "/download", {}, &other).status, 404);
  EXPECT_EQ(call("DELETE", mine + "/files/" + id, {}, &other).status, 404);
  EXPECT_EQ(upload(form({{"file", "x.txt", "x"}}), &other, device).status, 404);
  EXPECT_EQ(call("POST", mine + "/folders", {{"content-type", "application/json"}}, &other,
                 body({{"path", "/p"}}))
                .status,
            404);
  // Their own device with my file's id: still nothing.
  EXPECT_EQ(call("GET", base(theirs) + "/files/" + id, {}, &other).status, 404);
  EXPECT_EQ(call("GET", base(theirs) + "/files/not-a-uuid", {}, &other).status, 404);
  EXPECT_EQ(call("GET", mine + "/files/" + id).status, 200) << "the owner still sees it";
}

TEST_P(FilesTest, BatchOperationsReportEachFile) {
  const std::string shared = random_content(5000);
  const std::string a(upload_file("a.bin", shared, "/in").at("id").as_string());
  const std::string b(upload_file("b.txt", "bee", "/in").at("id").as_string());
  upload_file("b.txt", "already here", "/out");
  const std::string unknown = crypto::uuid_v4();
  const auto ids = [](std::initializer_list<std::string> items) {
    bj::array out;
    for (const auto& item : items) out.emplace_back(item);
    return out;
  };
  auto batch = [&](const bj::object& payload) {
    return call("POST", base(device) + "/files/batch", {{"content-type", "application/json"}},
                nullptr, body(payload));
  };

  // Copy: a new row sharing the blob; the clash at the target and the unknown id fail alone.
  auto r = batch(
      {{"operation", "copy"}, {"fileIds", ids({a, b, unknown, "nope"})}, {"targetPath", "/out"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto data = r.json().at("data");
  EXPECT_EQ(data.at("succeeded"), (bj::array{bj::value(a)}));
  ASSERT_EQ(data.at("failed").as_array().size(), 3u);
  EXPECT_EQ(data.at("failed").as_array()[0].at("id"), b.c_str());
  EXPECT_EQ(data.at("failed").as_array()[0].at("code"), "CONFLICT");
  EXPECT_EQ(data.at("failed").as_array()[1].at("code"), "NOT_FOUND");
  EXPECT_EQ(data.at("failed").as_array()[2].at("code"), "NOT_FOUND");
  ASSERT_EQ(data.at("files").as_array().size(), 1u);
  const std::string copy(data.at("files").as_array()[0].at("id").as_string());
  EXPECT_NE(copy, a);
  EXPECT_EQ(data.at("files").as_array()[0].at("path"), "/out/a.bin");
  EXPECT_EQ(call("GET", base(device) + "/files/" + copy + "/download").body, shared);

  // Move: the same file at a new path, in a folder made for it.
  r = batch({{"operation", "move"}, {"fileIds", ids({b})}, {"targetPath", "/archive/2026"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("data").at("files").as_array()[0].at("path"), "/archive/2026/b.txt");
  EXPECT_EQ(r.json().at("data").at("files").as_array()[0].at("id"), b.c_str());
  EXPECT_EQ(list("?path=/archive/2026").at("files").as_array().size(), 1u);
  EXPECT_EQ(list("?path=/in").at("files").as_array().size(), 1u);

  // Delete: the blob stays until its last file goes.
  r = batch({{"operation", "delete"}, {"fileIds", ids({a, unknown})}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("data").at("succeeded").as_array().size(), 1u);
  EXPECT_EQ(r.json().at("data").at("failed").as_array()[0].at("code"), "NOT_FOUND");
  EXPECT_FALSE(r.json().at("data").as_object().contains("files"));
  EXPECT_TRUE(blob_exists(shared));
  EXPECT_EQ(batch({{"operation", "delete"}, {"fileIds", ids({copy})}}).status, 200);
  EXPECT_FALSE(blob_exists(shared));

  // The request as a whole is refused for a bad target, operation or id list.
  EXPECT_EQ(batch({{"operation", "move"}, {"fileIds", ids({b})}, {"targetPath", "/a/../b"}}).status,
            400);
  EXPECT_EQ(batch({{"operation", "move"}, {"fileIds", ids({b})}}).status, 400);
  EXPECT_EQ(batch({{"operation", "explode"}, {"fileIds", ids({b})}}).status, 400);
  EXPECT_EQ(batch({{"operation", "delete"}, {"fileIds", "not-an-array"}}).status, 400);
  const Account other = register_account(client());
  EXPECT_EQ(call("POST", base(device) + "/files/batch", {{"content-type", "application/json"}},
                 &other, body({{"operation", "delete"}, {"fileIds", ids({b})}}))
                .status,
            404);
  EXPECT_EQ(call("GET", base(device) + "/files/" + b).status, 200) << "untouched by the stranger";
}

std::uint32_t le(const std::string& s, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

TEST_P(FilesTest, BatchNeedsAtLeastOneFileId) {
  for (const bj::object& payload : {bj::object{{"operation", "delete"}, {"fileIds", bj::array{}}},
                                    bj::object{{"operation", "delete"}}}) {
    const auto r = call("POST", base(device) + "/files/batch",
                        {{"content-type", "application/json"}}, nullptr, body(payload));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json().at("error").at("details").at("field"), "fileIds") << r.body;
  }
}

TEST_P(FilesTest, BatchDownloadIsAZipOfTheFiles) {
  const std::string first = random_content(300'000);
  const std::string second = "plain text\n";
  const std::string a(upload_file("a.bin", first, "/zip").at("id").as_string());
  const std::string b(
      upload_file("notes caf\xC3\xA9.txt", second, "/zip/sub").at("id").as_string());
  bj::array ids;
  ids.emplace_back(a);
  ids.emplace_back(b);
  const auto r = call("POST", base(device) + "/files/batch", {{"content-type", "application/json"}},
                      nullptr, body({{"operation", "download"}, {"fileIds", ids}}));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(r.header("content-type"), "application/zip");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  const std::string& zip = r.body;
  // End of central directory: two entries, then every entry checked against its bytes.
  const std::size_t end = zip.size() - 22;
  ASSERT_EQ(le(zip, end, 4), 0x06054b50u);
  ASSERT_EQ(le(zip, end + 10, 2), 2u);
  std::size_t at = le(zip, end + 16, 4);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"zip/a.bin", first}, {"zip/sub/notes caf\xC3\xA9.txt", second}};
  for (const auto& [name, content] : expected) {
    ASSERT_EQ(le(zip, at, 4), 0x02014b50u);
    const std::uint32_t crc = le(zip, at + 16, 4);
    const std::uint32_t size = le(zip, at + 24, 4);
    const std::size_t name_length = le(zip, at + 28, 2);
    const std::size_t local = le(zip, at + 42, 4);
    EXPECT_EQ(zip.substr(at + 46, name_length), name);
    EXPECT_EQ(size, content.size());
    ASSERT_EQ(le(zip, local, 4), 0x04034b50u);
    const std::size_t data = local + 30 + le(zip, local + 26, 2) + le(zip, local + 28, 2);
    EXPECT_TRUE(zip.substr(data, size) == content) << name;
    EXPECT_EQ(crc, crc32(0, reinterpret_cast<const Bytef*>(content.data()), content.size()));
    at += 46 + name_length;
  }
  // Any unknown id refuses the archive (a ZIP cannot report per-file failures).
  bj::array unknown{bj::value(a), bj::value(crypto::uuid_v4())};
  EXPECT_EQ(call("POST", base(device) + "/files/batch", {{"content-type", "application/json"}},
                 nullptr, body({{"operation", "download"}, {"fileIds", unknown}}))
                .status,
            404);
}

TEST_P(FilesTest, DeletingADeviceReleasesItsFilesBlobs) {
  const std::size_t blobs_before = stored_blobs();
  const std::string shared = random_content(3000);
  const std::string only_here = random_content(4000);
  const bj::object a = upload_file("a.bin", shared);
  upload_file("b.bin", only_here);
  const bj::object copy_request{
      {"operation", "copy"}, {"fileIds", bj::array{a.at("id")}}, {"targetPath", "/copies"}};
  ASSERT_EQ(call("POST", base(device) + "/files/batch", {{"content-type", "application/json"}},
                 nullptr, body(copy_request))
                .status,
            200);
  const std::string other = create_device(owner);
  ASSERT_EQ(upload(form({{"file", "same.bin", shared}}), nullptr, other).status, 201);

  EXPECT_EQ(call("DELETE", base(device)).status, 200);
  EXPECT_FALSE(blob_exists(only_here));
  EXPECT_TRUE(blob_exists(shared)) << "the other device's file still holds these bytes";
  EXPECT_EQ(stored_blobs(), blobs_before + 1);

  EXPECT_EQ(call("DELETE", base(other)).status, 200);
  EXPECT_EQ(stored_blobs(), blobs_before);
  EXPECT_EQ(call("DELETE", base(other)).status, 404);
}

// 20 uploads of one path at once, several rounds: without overwrite exactly one wins and the
// rest are told 409 (PostgreSQL once answered some 500 from the unique index); with overwrite
// every one succeeds, one file is left and no blob is left that nothing refers to.
TEST_P(FilesTest, RacingUploadsOfOnePathSettleCleanly) {
  constexpr int kRacers = 20;
  const std::size_t blobs_before = stored_blobs();
  const std::uint16_t port = server().port();
  const std::string token = owner.access_token;
  const std::string content_type = std::string("multipart/form-data; boundary=") + kBoundary;
  for (int round = 0; round < 3; ++round) {
    for (const bool overwrite : {false, true}) {
      const std::string name =
          "race-" + std::to_string(round) + (overwrite ? "-over" : "-once") + ".bin";
      std::vector<std::string> contents;
      for (int i = 0; i < kRacers; ++i) contents.push_back(random_content(2000 + i));
      std::vector<std::future<int>> racers;
      for (int i = 0; i < kRacers; ++i) {
        std::vector<FormPart> parts{{"path", std::nullopt, "/races"}, {"file", name, contents[i]}};
        if (overwrite) parts.push_back({"overwrite", std::nullopt, "true"});
        racers.push_back(std::async(std::launch::async, [&, payload = form(parts)] {
          http::HttpClient c("127.0.0.1", port);
          return c
              .request("POST", base(device) + "/files/upload", payload,
                       {{"authorization", "Bearer " + token}, {"content-type", content_type}})
              .status;
        }));
      }
      std::map<int, int> statuses;
      for (auto& r : racers) ++statuses[r.get()];
      if (overwrite) {
        EXPECT_EQ(statuses, (std::map<int, int>{{201, kRacers}})) << name;
      } else {
        EXPECT_EQ(statuses, (std::map<int, int>{{201, 1}, {409, kRacers - 1}})) << name;
      }
      int copies = 0;
      const bj::value listing = list("?path=/races");
      for (const auto& f : listing.at("files").as_array()) copies += f.at("name") == name.c_str();
      EXPECT_EQ(copies, 1) << name;
    }
  }
  EXPECT_EQ(list("?path=/").at("folders").as_array().size(), 1u) << "one /races folder";
  EXPECT_EQ(stored_blobs(), blobs_before + 6) << "one blob per file left, none unreferenced";
  EXPECT_EQ(temp_files(), 0u);
}

// Concurrent creations of one folder: one 201, every other 409, one folder in the tree.
TEST_P(FilesTest, RacingFolderCreationsMakeOneFolder) {
  constexpr int kRacers = 20;
  const std::uint16_t port = server().port();
  const std::string token = owner.access_token;
  for (int round = 0; round < 3; ++round) {
    const std::string path = "/projects/p" + std::to_string(round);
    std::vector<std::future<int>> racers;
    for (int i = 0; i < kRacers; ++i) {
      racers.push_back(std::async(std::launch::async, [&] {
        http::HttpClient c("127.0.0.1", port);
        return c
            .request("POST", base(device) + "/folders", body({{"path", path}}),
                     {{"authorization", "Bearer " + token}, {"content-type", "application/json"}})
            .status;
      }));
    }
    std::map<int, int> statuses;
    for (auto& r : racers) ++statuses[r.get()];
    EXPECT_EQ(statuses, (std::map<int, int>{{201, 1}, {409, kRacers - 1}})) << path;
  }
  const auto folders = list("?path=/projects").at("folders").as_array();
  EXPECT_EQ(folders.size(), 3u);
  EXPECT_EQ(list("?path=/").at("folders").as_array().size(), 1u);
}

// File search folds case the same way on both databases, beyond ASCII.
TEST_P(FilesTest, SearchIsCaseInsensitiveBeyondAscii) {
  upload_file("ÉCOLE-Ä.txt", "bonjour");
  upload_file("other.txt", "x");
  for (const char* q : {"%C3%A9cole", "%C3%89COLE", "-%C3%A4", "%C3%A9COLE-%C3%84"}) {
    const bj::value listing = list(std::string("?q=") + q);
    const auto& files = listing.at("files").as_array();
    ASSERT_EQ(files.size(), 1u) << q;
    EXPECT_EQ(files[0].at("name"), "ÉCOLE-Ä.txt");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, FilesTest, ::testing::ValuesIn(storage_backends()),
                         backend_name);

}  // namespace
}  // namespace karma::testing
