#include "http/openapi.hpp"

#include <algorithm>
#include <boost/json/array.hpp>

#include "core/validation.hpp"
#include "http/router.hpp"

namespace karma::http {

namespace bj = boost::json;

namespace schema {

Schema string(std::size_t max_length, std::size_t min_length) {
  bj::object s{{"type", "string"}};
  if (min_length > 0) s["minLength"] = min_length;
  if (max_length > 0) s["maxLength"] = max_length;
  return s;
}

Schema one_of(std::span<const std::string_view> values) {
  bj::array names;
  for (auto v : values) names.emplace_back(v);
  return bj::object{{"type", "string"}, {"enum", std::move(names)}};
}

Schema date_time() {
  return bj::object{{"type", "string"}, {"format", "date-time"}};
}

Schema uuid() {
  return bj::object{{"type", "string"}, {"format", "uuid"}};
}

Schema integer(std::optional<std::int64_t> min, std::optional<std::int64_t> max) {
  bj::object s{{"type", "integer"}};
  if (min) s["minimum"] = *min;
  if (max) s["maximum"] = *max;
  return s;
}

Schema number(std::optional<double> min, std::optional<double> max) {
  bj::object s{{"type", "number"}};
  if (min) s["minimum"] = *min;
  if (max) s["maximum"] = *max;
  return s;
}

Schema boolean() {
  return bj::object{{"type", "boolean"}};
}

Schema epoch_ms() {
  return bj::object{{"type", "integer"}, {"description", "milliseconds since the Unix epoch"}};
}

Schema nullable(Schema s) {
  return bj::object{{"anyOf", bj::array{std::move(s), bj::object{{"type", "null"}}}}};
}

Schema array(Schema items) {
  return bj::object{{"type", "array"}, {"items", std::move(items)}};
}

Schema object(std::initializer_list<std::pair<std::string_view, Schema>> properties,
              std::initializer_list<std::string_view> required) {
  bj::object props;
  for (const auto& [name, s] : properties) props[name] = s;
  bj::array names;
  for (auto r : required) names.emplace_back(r);
  bj::object out{{"type", "object"}, {"properties", std::move(props)}};
  if (!names.empty()) out["required"] = std::move(names);
  out["additionalProperties"] = false;
  return out;
}

Schema input(std::initializer_list<std::pair<std::string_view, Schema>> properties,
             std::initializer_list<std::string_view> required) {
  bj::object out = object(properties, required).as_object();
  out.erase("additionalProperties");
  return out;
}

Schema free_object() {
  return bj::object{{"type", "object"}};
}

Schema ref(std::string_view component) {
  return bj::object{{"$ref", "#/components/schemas/" + std::string(component)}};
}

Schema page(std::string_view items_key, Schema item) {
  return object({{items_key, array(std::move(item))},
                 {"total", integer(0)},
                 {"page", integer(1)},
                 {"pageSize", integer(1)}},
                {items_key, "total", "page", "pageSize"});
}

Schema binary() {
  return bj::object{{"type", "string"}, {"contentMediaType", "application/octet-stream"}};
}

Schema described(Schema s, std::string_view description) {
  s.as_object()["description"] = description;
  return s;
}

}  // namespace schema

std::vector<Parameter> paging_parameters() {
  return {{"page", schema::integer(1)}, {"pageSize", schema::integer(1, 100)}};
}

void Components::add(std::string name, Schema schema) {
  schemas_[name] = std::move(schema);
}

namespace {

// "/api/devices/:id" → "/api/devices/{id}"; the names of its parameters.
std::string template_of(const Route& route, std::vector<std::string>& names) {
  std::string out;
  for (const auto& segment : route.segments) {
    out += '/';
    if (!segment.empty() && segment.front() == ':') {
      names.push_back(segment.substr(1));
      out += '{' + segment.substr(1) + '}';
    } else {
      out += segment;
    }
  }
  return out.empty() ? "/" : out;
}

bj::object json_content(Schema schema) {
  return bj::object{{"application/json", bj::object{{"schema", std::move(schema)}}}};
}

Schema success_envelope(Schema data) {
  return schema::object({{"success", bj::object{{"const", true}}},
                         {"data", std::move(data)},
                         {"timestamp", schema::epoch_ms()}},
                        {"success", "data", "timestamp"});
}

bj::array security_of(Guard guard) {
  switch (guard) {
    case Guard::user:
      return {bj::object{{"bearer", bj::array{}}}};
    case Guard::device:
      return {bj::object{{"deviceToken", bj::array{}}}};
    case Guard::user_or_device:
      return {bj::object{{"bearer", bj::array{}}}, bj::object{{"deviceToken", bj::array{}}}};
    case Guard::signature:
    case Guard::open:
      break;
  }
  return {};
}

const char* reason(int status) {
  switch (status) {
    case 400:
      return "Invalid input (VALIDATION_ERROR)";
    case 401:
      return "Missing or invalid credentials (UNAUTHORIZED)";
    case 403:
      return "Not allowed (FORBIDDEN)";
    case 404:
      return "No such resource of the caller's (NOT_FOUND)";
    case 409:
      return "Conflicts with what exists (CONFLICT)";
    case 413:
      return "Body too large (PAYLOAD_TOO_LARGE)";
    case 416:
      return "Range not satisfiable (RANGE_NOT_SATISFIABLE)";
    case 429:
      return "Too many attempts (RATE_LIMIT_EXCEEDED)";
    case 503:
      return "Database unavailable (SERVICE_UNAVAILABLE) or file storage unavailable "
             "(STORAGE_UNAVAILABLE)";
    default:
      return "Error";
  }
}

}  // namespace

std::vector<int> error_statuses(const Route& route) {
  std::vector<int> out{400};
  if (route.options.guard != Guard::open) out.push_back(401);
  const bool has_params = std::any_of(route.segments.begin(), route.segments.end(),
                                      [](const std::string& s) { return s.starts_with(':'); });
  if (has_params) out.push_back(404);
  if (route.doc.body) out.push_back(413);
  if (route.options.blocking) out.push_back(503);
  out.insert(out.end(), route.doc.errors.begin(), route.doc.errors.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bj::object openapi_document(const Router& router, const Components& components,
                            std::string_view version) {
  bj::object paths;
  for (const auto& route : router.routes()) {
    const RouteDoc& doc = route->doc;
    std::vector<std::string> names;
    const std::string path = template_of(*route, names);
    bj::object operation{{"operationId", doc.operation_id},
                         {"summary", doc.summary},
                         {"tags", bj::array{bj::value(doc.tag)}},
                         {"security", security_of(route->options.guard)}};
    bj::array parameters;
    for (const auto& name : names) {
      parameters.push_back(bj::object{
          {"name", name}, {"in", "path"}, {"required", true}, {"schema", schema::string()}});
    }
    for (const auto& p : doc.query) {
      bj::object param{
          {"name", p.name}, {"in", "query"}, {"required", p.required}, {"schema", p.schema}};
      if (!p.description.empty()) param["description"] = p.description;
      parameters.push_back(std::move(param));
    }
    if (!parameters.empty()) operation["parameters"] = std::move(parameters);
    if (doc.body) {
      operation["requestBody"] = bj::object{
          {"required", true},
          {"content", bj::object{{doc.body_content_type, bj::object{{"schema", *doc.body}}}}}};
    }
    bj::object responses;
    for (const auto& reply : doc.replies) {
      bj::object answer{{"description", reply.description.empty() ? "OK" : reply.description}};
      if (!reply.data.is_null()) {
        if (reply.content_type == "application/json")
          answer["content"] = json_content(success_envelope(reply.data));
        else
          answer["content"] = bj::object{{reply.content_type, bj::object{{"schema", reply.data}}}};
      }
      // Several replies of one status (JSON or a ZIP) are one response with several contents.
      auto& slot = responses[std::to_string(reply.status)];
      if (slot.is_object() && slot.as_object().contains("content") && answer.contains("content")) {
        for (auto& [type, content] : answer["content"].as_object())
          slot.as_object()["content"].as_object()[type] = content;
      } else {
        slot = std::move(answer);
      }
    }
    for (int status : error_statuses(*route)) {
      responses[std::to_string(status)] = bj::object{
          {"description", reason(status)}, {"content", json_content(schema::ref("Error"))}};
    }
    operation["responses"] = std::move(responses);
    auto& item = paths[path];
    if (item.is_null()) item = bj::object{};
    item.as_object()[ascii_lower(route->method)] = std::move(operation);
  }

  bj::object schemas = components.schemas();
  schemas["Error"] = schema::object({{"success", bj::object{{"const", false}}},
                                     {"error", schema::object({{"code", schema::string()},
                                                               {"message", schema::string()},
                                                               {"details", bj::object{}}},
                                                              {"code", "message"})},
                                     {"timestamp", schema::epoch_ms()}},
                                    {"success", "error", "timestamp"});
  return bj::object{
      {"openapi", "3.1.0"},
      {"info", bj::object{{"title", "Karma API"}, {"version", version}}},
      {"paths", std::move(paths)},
      {"components",
       bj::object{
           {"schemas", std::move(schemas)},
           {"securitySchemes",
            bj::object{
                {"bearer",
                 bj::object{{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
                {"deviceToken", bj::object{{"type", "apiKey"},
                                           {"in", "header"},
                                           {"name", "Authorization"},
                                           {"description", "Device <device token>"}}}}}}}};
}

}  // namespace karma::http
