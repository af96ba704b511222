#pragma once
// Device DTOs ↔ JSON: the contract's shapes out, validated inputs in.
#include <boost/json/object.hpp>

#include <array>
#include <string_view>

#include "devices/device_service.hpp"
#include "http/openapi.hpp"

namespace karma::devices {

inline constexpr std::array<std::string_view, 3> kDeviceModels{"EOS-3A", "EOS-3B", "EOS-3C"};
inline constexpr std::array<std::string_view, 4> kDeviceStatuses{"online", "offline", "error",
                                                                 "updating"};
inline constexpr std::array<std::string_view, 4> kNetworkTypes{"wifi", "ethernet", "5g",
                                                               "bluetooth"};
inline constexpr std::array<std::string_view, 4> kDeviceSorts{"name", "createdAt", "status",
                                                              "lastHeartbeat"};

// The contract's Device as JSON text: epoch-ms times, location omitted when unset. Written
// directly, not through a DOM: the device list is the hottest read.
void append_device_json(std::string& out, const DeviceRecord& d);
std::string device_json(const DeviceRecord& d);
boost::json::object sample_json(const MetricsSample& s);

// Device, MetricsSample and the bodies parsed below; the device list's query parameters.
void add_device_schemas(http::Components& components);
std::vector<http::Parameter> device_list_parameters();

NewDevice parse_new_device(const boost::json::object& body);
DeviceChange parse_device_change(const boost::json::object& body);
Heartbeat parse_heartbeat(const boost::json::object& body);
DeviceList parse_device_list(const QueryFields::Params& query);

// "AA:BB:CC:DD:EE:FF" or with '-': normalised to upper case with ':'; nullopt when malformed.
std::optional<std::string> normalize_mac(std::string_view text);
bool is_ip_address(std::string_view text);

}  // namespace karma::devices
