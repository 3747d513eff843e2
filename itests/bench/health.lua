-- wrk script of itests/bench/checkin.sh: GET /api/v1/health through the same Lua path as checkin.lua (a request
-- formatted once, handed out by request()), so both measurements carry the same load-generator cost.
local req

function init(args)
  req = wrk.format("GET", "/api/v1/health")
end

function request()
  return req
end
