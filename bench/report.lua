-- wrk script: optional rotating paths, and one JSON line of results at the end.
--   BENCH_PATHS="/blogs/1 /blogs/2 ..."  requests cycle through these paths (one list per thread)
-- The JSON line starts with "BENCH_JSON " so the harness can find it among wrk's own output.

local paths = {}
local env_paths = os.getenv("BENCH_PATHS")
if env_paths then
  for p in string.gmatch(env_paths, "%S+") do paths[#paths + 1] = p end
end
local counter = 0

function init(args)
  counter = math.random(1, math.max(#paths, 1))
end

function request()
  if #paths == 0 then
    return wrk.request()
  end
  counter = counter % #paths + 1
  return wrk.format(nil, paths[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "bytes": %d, '
    .. '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
