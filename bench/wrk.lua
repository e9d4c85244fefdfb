-- wrk script used by bench.py. With BODY set, POSTs it as JSON (`%n` becomes a request counter);
-- without, GETs the URL. Prints machine-readable results at the end.
local counter = 0
local template = os.getenv("BODY")
wrk.headers["Accept"] = "application/json, text/event-stream"
if template then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  if not template then
    return wrk.format(nil)
  end
  counter = counter + 1
  local body = template:gsub("%%n", tostring(counter))
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d duration_us=%d errors=%d non2xx=%d p50=%d p90=%d p99=%d max=%d\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
