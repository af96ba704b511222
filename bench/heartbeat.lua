-- wrk script: POST heartbeats round-robin over the devices listed in $DEVICES_FILE
-- (one "id token" pair per line), each authenticated with its own device token.
local devices = {}
for line in io.lines(os.getenv("DEVICES_FILE")) do
  local id, token = line:match("^(%S+)%s+(%S+)$")
  if id then devices[#devices + 1] = { id = id, token = token } end
end
local body = '{"status":"online","metrics":{"cpuUsage":12.5,"memoryUsage":40,' ..
             '"diskUsage":70,"temperature":55,"uptime":1234},"timestamp":1}'
local n = 0
request = function()
  n = n + 1
  local d = devices[(n % #devices) + 1]
  return wrk.format("POST", "/api/devices/" .. d.id .. "/heartbeat",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Device " .. d.token }, body)
end
