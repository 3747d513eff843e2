-- wrk script of itests/bench/checkin.sh: every request is one agent's check-in, made with that agent's own credential.
-- The file named by the environment variable BENCH_AGENTS holds one line per enrolled agent:
--   <credential> <hostname>
-- With BENCH_RUN_ID=1 every body also carries a run_id ("bench-<hostname>"), as an agent's update run does: such
-- a check-in goes through a rollout's slot step (checkin-rollout.sh).
-- All requests are formatted once, in init; request() only hands out the next one, so the Lua cost per request is
-- the same as for health.lua. Thread k of n starts at agent k * (count / n), so the threads cycle through all agents
-- without walking in step.
local requests = {}
local index = 0

function setup(thread)
  thread:set("offset", setup_count or 0)
  setup_count = (setup_count or 0) + 1
end

function init(args)
  local file = assert(io.open(os.getenv("BENCH_AGENTS"), "r"), "BENCH_AGENTS: no such file")
  local version = os.getenv("BENCH_AGENT_VERSION") or "0.0.1"
  local with_run = os.getenv("BENCH_RUN_ID") == "1"
  -- BENCH_POLICY_ETAG / BENCH_MANIFEST_ETAG: the etags an agent holding its policy and offer sends ("known")
  local known = nil
  local policy_etag, manifest_etag = os.getenv("BENCH_POLICY_ETAG"), os.getenv("BENCH_MANIFEST_ETAG")
  if policy_etag and policy_etag ~= "" then
    known = '"known":{"policy_etag":"' .. policy_etag .. '"'
    if manifest_etag and manifest_etag ~= "" then
      known = known .. ',"manifest_etag":"' .. manifest_etag .. '"'
    end
    known = known .. '}'
  end
  for line in file:lines() do
    local credential, hostname = line:match("^(%S+)%s+(%S+)$")
    if credential then
      local body = '{"current_version":"' .. version .. '","platform":"linux","arch":"amd64","hostname":"'
        .. hostname .. '"'
      if with_run then
        body = body .. ',"run_id":"bench-' .. hostname .. '"'
      end
      if known then
        body = body .. ',' .. known
      end
      body = body .. '}'
      requests[#requests + 1] = wrk.format("POST", "/api/v1/agents/update/manifest",
        { ["Authorization"] = "Bearer " .. credential, ["Content-Type"] = "application/json" }, body)
    end
  end
  file:close()
  assert(#requests > 0, "no agents in " .. os.getenv("BENCH_AGENTS"))
  local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  index = (offset or 0) * math.floor(#requests / threads)
end

function request()
  index = index % #requests + 1
  return requests[index]
end
