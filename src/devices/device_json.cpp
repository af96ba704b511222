#include "devices/device_json.hpp"

#include <arpa/inet.h>

#include "core/json.hpp"

#include <boost/json/array.hpp>

namespace karma::devices {

namespace bj = boost::json;

namespace {

const StringRule kNameRule{1, 100};
const StringRule kTagRule{1, 32};
const StringRule kSerialRule{
    1, 64, true, [](std::string_view s) {
      for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return std::string("may contain only letters, digits, '-', '_' and '.'");
      }
      return std::string();
    }};
const StringRule kMacRule{
    17, 17, true, [](std::string_view s) {
      return normalize_mac(s) ? std::string() : std::string("must look like AA:BB:CC:DD:EE:FF");
    }};
const StringRule kIpRule{0, 45, true, [](std::string_view s) {
                           return s.empty() || is_ip_address(s)
                                      ? std::string()
                                      : std::string("must be an IPv4 or IPv6 address");
                         }};
constexpr std::size_t kMaxTags = 20;

std::optional<bj::object> read_location(JsonFields& fields) {
  const bj::object* raw = fields.object("location", false);
  if (!raw) return std::nullopt;
  JsonFields inner = fields.nested("location", *raw);
  auto latitude = inner.number("latitude", -90, 90, true);
  auto longitude = inner.number("longitude", -180, 180, true);
  auto address = inner.string("address", {0, 255}, false);
  if (!latitude || !longitude) return std::nullopt;
  bj::object location{{"latitude", *latitude}, {"longitude", *longitude}};
  if (address) location["address"] = *address;
  return location;
}

}  // namespace

std::optional<std::string> normalize_mac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  const char separator = s[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i % 3 == 2) {
      if (c != separator) return std::nullopt;
      out.push_back(':');
    } else if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) {
      out.push_back(c);
    } else if (c >= 'a' && c <= 'f') {
      out.push_back(static_cast<char>(c - 32));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

bool is_ip_address(std::string_view text) {
  const std::string s(text);
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buffer) == 1 || inet_pton(AF_INET6, s.c_str(), buffer) == 1;
}

void append_device_json(std::string& out, const DeviceRecord& d) {
  // Each key comes with the punctuation before it; values are quoted text or JSON as stored.
  const auto text = [&out](std::string_view key, std::string_view value) {
    out += key;
    json::append_quoted(out, value);
  };
  const auto raw = [&out](std::string_view key, std::string_view json_value) {
    out += key;
    out += json_value;
  };
  text("{\"id\":", d.id);
  text(",\"name\":", d.name);
  text(",\"model\":", d.model);
  text(",\"status\":", d.status);
  text(",\"ip\":", d.ip);
  text(",\"mac\":", d.mac);
  text(",\"serialNumber\":", d.serial_number);
  text(",\"firmwareVersion\":", d.firmware_version);
  raw(",\"lastHeartbeat\":", d.last_heartbeat ? std::to_string(*d.last_heartbeat) : "null");
  raw(",\"capabilities\":", d.capabilities);
  raw(",\"hardware\":", d.hardware);
  raw(",\"network\":", d.network);
  out += ",\"tags\":";
  json::append_string_array(out, d.tags);
  raw(",\"createdAt\":", std::to_string(d.created_at));
  raw(",\"updatedAt\":", std::to_string(d.updated_at));
  if (d.location) raw(",\"location\":", *d.location);
  out += '}';
}

std::string device_json(const DeviceRecord& d) {
  std::string out;
  append_device_json(out, d);
  return out;
}

bj::object sample_json(const MetricsSample& s) {
  return bj::object{{"timestamp", s.timestamp},      {"cpuUsage", s.cpu_usage},
                    {"memoryUsage", s.memory_usage}, {"diskUsage", s.disk_usage},
                    {"temperature", s.temperature},  {"uptime", s.uptime}};
}

NewDevice parse_new_device(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  NewDevice d;
  auto name = fields.string("name", kNameRule, true);
  auto model = fields.one_of("model", kDeviceModels, true);
  auto serial = fields.string("serialNumber", kSerialRule, true);
  auto mac = fields.string("mac", kMacRule, true);
  auto ip = fields.string("ip", kIpRule, false);
  d.location = read_location(fields);
  auto tags = fields.string_array("tags", kMaxTags, kTagRule, false);
  violations.throw_if_any();
  d.name = *name;
  d.model = *model;
  d.serial_number = *serial;
  d.mac = *normalize_mac(*mac);
  d.ip = ip.value_or("");
  d.tags = tags.value_or(std::vector<std::string>{});
  return d;
}

DeviceChange parse_device_change(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  DeviceChange change;
  change.name = fields.string("name", kNameRule, false);
  if (body.contains("location")) {
    change.location_given = true;
    change.location = read_location(fields);
  }
  change.tags = fields.string_array("tags", kMaxTags, kTagRule, false);
  violations.throw_if_any();
  return change;
}

Heartbeat parse_heartbeat(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  Heartbeat beat;
  auto status = fields.one_of("status", kDeviceStatuses, true);
  if (const bj::object* raw = fields.object("metrics", true)) {
    JsonFields m = fields.nested("metrics", *raw);
    beat.metrics.cpu_usage = m.number("cpuUsage", 0, 100, true).value_or(0);
    beat.metrics.memory_usage = m.number("memoryUsage", 0, 100, true).value_or(0);
    beat.metrics.disk_usage = m.number("diskUsage", 0, 100, true).value_or(0);
    beat.metrics.temperature = m.number("temperature", -100, 200, true).value_or(0);
    beat.metrics.uptime = m.integer("uptime", 0, INT64_MAX / 2, true).value_or(0);
  }
  fields.number("timestamp", 0, 1e15, false);  // the device's clock: checked, not trusted
  beat.state.firmware_version = fields.string("firmwareVersion", {1, 50}, false);
  beat.state.ip = fields.string("ip", kIpRule, false);
  if (const bj::object* raw = fields.object("hardware", false)) {
    JsonFields h = fields.nested("hardware", *raw);
    bj::object hardware;
    if (auto v = h.string("cpu", {1, 100}, false)) hardware["cpu"] = *v;
    if (auto v = h.number("memory", 0, 1e15, false)) hardware["memory"] = *v;
    if (auto v = h.number("storage", 0, 1e18, false)) hardware["storage"] = *v;
    if (auto v = h.string("gpu", {1, 100}, false)) hardware["gpu"] = *v;
    beat.state.hardware = std::move(hardware);
  }
  if (const bj::object* raw = fields.object("capabilities", false)) {
    JsonFields cap = fields.nested("capabilities", *raw);
    bj::object capabilities;
    for (const char* key : {"aiComputing", "videoProcessing", "storage", "networking"})
      if (auto v = cap.boolean(key, false)) capabilities[key] = *v;
    beat.state.capabilities = std::move(capabilities);
  }
  if (const bj::object* raw = fields.object("network", false)) {
    JsonFields n = fields.nested("network", *raw);
    bj::object network;
    if (auto v = n.one_of("type", kNetworkTypes, false)) network["type"] = *v;
    if (auto v = n.number("signalStrength", -200, 100, false)) network["signalStrength"] = *v;
    if (auto v = n.number("bandwidth", 0, 1e12, false)) network["bandwidth"] = *v;
    beat.state.network = std::move(network);
  }
  violations.throw_if_any();
  beat.state.status = *status;
  return beat;
}

DeviceList parse_device_list(const QueryFields::Params& params) {
  Violations violations;
  QueryFields query(params, violations);
  DeviceList list;
  list.status = query.optional_one_of("status", kDeviceStatuses);
  list.model = query.optional_one_of("model", kDeviceModels);
  list.tag = query.string("tag", 32);
  list.q = query.string("q", 100);
  if (list.q && list.q->empty()) list.q.reset();
  list.sort = query.one_of("sort", kDeviceSorts, "createdAt");
  list.order = query.one_of("order", kSortOrders, "desc");
  list.paging = read_paging(query);
  violations.throw_if_any();
  return list;
}

void add_device_schemas(http::Components& components) {
  using namespace http::schema;
  const auto location = [](bool input) {
    auto fields = {std::pair<std::string_view, http::Schema>{"latitude", number(-90, 90)},
                   {"longitude", number(-180, 180)},
                   {"address", string(255)}};
    return input ? http::schema::input(fields, {"latitude", "longitude"})
                 : object(fields, {"latitude", "longitude"});
  };
  components.add("Device", object({{"id", uuid()},
                                   {"name", string(100)},
                                   {"model", one_of(kDeviceModels)},
                                   {"status", one_of(kDeviceStatuses)},
                                   {"ip", string(45)},
                                   {"mac", string(17)},
                                   {"serialNumber", string(64)},
                                   {"firmwareVersion", string(50)},
                                   {"lastHeartbeat", nullable(epoch_ms())},
                                   {"capabilities", free_object()},
                                   {"hardware", free_object()},
                                   {"network", free_object()},
                                   {"tags", array(string(32))},
                                   {"createdAt", epoch_ms()},
                                   {"updatedAt", epoch_ms()},
                                   {"location", location(false)}},
                                  {"id", "name", "model", "status", "ip", "mac", "serialNumber",
                                   "firmwareVersion", "lastHeartbeat", "capabilities", "hardware",
                                   "network", "tags", "createdAt", "updatedAt"}));
  components.add("MetricsSample", object({{"timestamp", epoch_ms()},
                                          {"cpuUsage", number()},
                                          {"memoryUsage", number()},
                                          {"diskUsage", number()},
                                          {"temperature", number()},
                                          {"uptime", integer(0)}},
                                         {"timestamp", "cpuUsage", "memoryUsage", "diskUsage",
                                          "temperature", "uptime"}));
  components.add("NewDevice", input({{"name", string(100, 1)},
                                     {"model", one_of(kDeviceModels)},
                                     {"serialNumber", string(64, 1)},
                                     {"mac", string(17, 17)},
                                     {"ip", string(45)},
                                     {"location", location(true)},
                                     {"tags", array(string(32, 1))}},
                                    {"name", "model", "serialNumber", "mac"}));
  components.add("DeviceChange", input({{"name", string(100, 1)},
                                        {"location", nullable(location(true))},
                                        {"tags", array(string(32, 1))}}));
  components.add(
      "Heartbeat",
      input({{"status", one_of(kDeviceStatuses)},
             {"metrics", input({{"cpuUsage", number(0, 100)},
                                {"memoryUsage", number(0, 100)},
                                {"diskUsage", number(0, 100)},
                                {"temperature", number(-100, 200)},
                                {"uptime", integer(0)}},
                               {"cpuUsage", "memoryUsage", "diskUsage", "temperature", "uptime"})},
             {"timestamp", number(0)},
             {"firmwareVersion", string(50, 1)},
             {"ip", string(45)},
             {"hardware", free_object()},
             {"capabilities", free_object()},
             {"network", free_object()}},
            {"status", "metrics"}));
}

std::vector<http::Parameter> device_list_parameters() {
  using namespace http::schema;
  std::vector<http::Parameter> out{
      {"status", one_of(kDeviceStatuses)},
      {"model", one_of(kDeviceModels)},
      {"tag", string(32)},
      {"q", string(100), "case-insensitive search in name and serial number"},
      {"sort", one_of(kDeviceSorts)},
      {"order", one_of(kSortOrders)}};
  for (auto& p : http::paging_parameters()) out.push_back(std::move(p));
  return out;
}

}  // namespace karma::devices
