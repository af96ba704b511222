-- wrk script: one agent run per request (POST /api/agent, AG-UI 1.0), each on a thread of its
-- own, asking the planner for the caller's devices: the whole loop — claim, messages, state
-- snapshot, a backend tool, its result, the answer — per request.
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
local prefix = string.format("bench-%d-%d", os.time(), math.random(1, 1e9))
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
request = function()
  n = n + 1
  local thread = prefix .. "-" .. n
  return wrk.format(nil, "/api/agent", nil,
    '{"threadId":"' .. thread .. '","runId":"r","protocolVersion":"1.0","state":{},' ..
    '"messages":[{"id":"m","role":"user","content":"list my devices"}],"tools":[],"context":[]}')
end
