-- wrk script used by bench.py. With BODY set, POSTs it as JSON (`%n` becomes a request counter);
-- without, GETs the URL. Prints machine-readable results at the end.
local counter = 0
local template = os.getenv("BODY")
-- USERS="uid:token,uid:token,...": each request acts for the next user (PATH has {uid})
local users = {}
for pair in string.gmatch(os.getenv("USERS") or "", "[^,]+") do
  local uid, token = pair:match("([^:]+):(.+)")
  table.insert(users, { uid = uid, token = token })
end
local path_template = os.getenv("PATH_TEMPLATE")
wrk.headers["Accept"] = "application/json, text/event-stream"
if template then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

-- a plain GET needs no per-request Lua: wrk then sends its prebuilt request (less load-generator CPU
-- on the shared cores)
local dynamic = template ~= nil or #users > 0
request = dynamic and function()
  counter = counter + 1
  local path, headers = nil, nil
  if #users > 0 then
    local u = users[(counter % #users) + 1]
    path = path_template:gsub("{uid}", u.uid)
    headers = { ["Authorization"] = "Bearer " .. u.token, ["Accept"] = wrk.headers["Accept"] }
    if template then
      headers["Content-Type"] = "application/json"
    end
  end
  if not template then
    return wrk.format(nil, path, headers)
  end
  local body = template:gsub("%%n", tostring(counter))
  return wrk.format(nil, path, headers, body)
end or nil

done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d duration_us=%d errors=%d non2xx=%d p50=%d p90=%d p99=%d max=%d\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
