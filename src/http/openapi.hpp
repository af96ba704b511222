#pragma once
// Route metadata and the OpenAPI 3.1 document generated from it. Schemas are JSON Schema
// (2020-12, OpenAPI 3.1's dialect) written next to the code that reads or writes the JSON they
// describe (each feature's *_json.cpp); objects are closed (no undeclared fields), so the e2e
// suite's check of every response against this document catches any drift.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace karma::http {

class Router;
struct Route;
using Schema = boost::json::value;

namespace schema {
Schema string(std::size_t max_length = 0, std::size_t min_length = 0);
Schema date_time();  // an ISO 8601 instant
// One enum's string table: what parsing accepts is what the schema lists.
Schema one_of(std::span<const std::string_view> values);
Schema uuid();
Schema integer(std::optional<std::int64_t> min = {}, std::optional<std::int64_t> max = {});
Schema number(std::optional<double> min = {}, std::optional<double> max = {});
Schema boolean();
Schema epoch_ms();  // milliseconds since the Unix epoch
Schema nullable(Schema schema);
Schema array(Schema items);
// An object with these properties and no others; `required` ones are always present.
Schema object(std::initializer_list<std::pair<std::string_view, Schema>> properties,
              std::initializer_list<std::string_view> required = {});
Schema free_object();  // any JSON object (stored as given)
// A request body: these fields are read, others are ignored (so not closed).
Schema input(std::initializer_list<std::pair<std::string_view, Schema>> properties,
             std::initializer_list<std::string_view> required = {});
Schema ref(std::string_view component);
// The paged envelope every list writes: {<items_key>: [...], total, page, pageSize}.
Schema page(std::string_view items_key, Schema item);
Schema binary();  // a body of raw bytes
// `s` with a description (units, defaults) for the reader of the document.
Schema described(Schema s, std::string_view description);
}  // namespace schema

struct Parameter {
  std::string name = {};
  Schema schema = {};
  std::string description = {};
  bool required = false;
};

// ?page (from 1) and ?pageSize (1..100) of every paged list.
std::vector<Parameter> paging_parameters();

// A success answer: `data` is the schema of the envelope's `data` for JSON answers, or of the
// whole body for other content types; null for none (304).
struct Reply {
  int status = 200;
  Schema data = {};
  std::string description = {};
  std::string content_type = "application/json";
};

struct RouteDoc {
  std::string operation_id = {};
  std::string summary = {};
  std::string tag = {};
  std::vector<Parameter> query = {};
  std::optional<Schema> body = {};
  std::string body_content_type = "application/json";
  std::vector<Reply> replies = {};
  // Error statuses beyond those every such route can answer (400; 401 behind a guard; 404
  // with path parameters; 413 with a body; 503 when it uses the database).
  std::vector<int> errors = {};
};

// Named schemas shared by routes ("Device", "File"): each feature adds its own.
class Components {
 public:
  void add(std::string name, Schema schema);
  const boost::json::object& schemas() const { return schemas_; }

 private:
  boost::json::object schemas_;
};

// The OpenAPI 3.1 document of every route in `router`.
boost::json::object openapi_document(const Router& router, const Components& components,
                                     std::string_view version);

// The error statuses a route may answer, derived and declared, ascending.
std::vector<int> error_statuses(const Route& route);

}  // namespace karma::http
