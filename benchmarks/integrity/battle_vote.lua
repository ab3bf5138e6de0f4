-- wrk: "get battle + vote". Each battle comes back with a fresh voter cookie and is voted on
-- (by the connection that next asks for work) with that cookie. Addresses go in
-- X-Forwarded-For (the server trusts 127.0.0.1 as a proxy), one per battle.
local pending = {}
local serial = 0
local bad = 0

request = function()
  local item = table.remove(pending)
  if item then
    return wrk.format("POST", item.url, {
      ["Content-Type"] = "application/json", ["Cookie"] = item.cookie,
      ["X-Forwarded-For"] = item.ip }, '{"outcome":"a","watch_ms":5000}')
  end
  serial = serial + 1
  local ip = string.format("10.%d.%d.%d", math.random(0, 250), math.floor(serial / 250) % 250, serial % 250 + 1)
  return wrk.format("POST", "/api/v1/battles?track=text-to-video", { ["X-Forwarded-For"] = ip })
end

response = function(status, headers, body)
  if status >= 300 then bad = bad + 1 end
  if status == 201 then
    local id = string.match(body, '"id":"([^"]+)"')
    local cookie = headers["set-cookie"] or headers["Set-Cookie"] or ""
    cookie = string.match(cookie, "^[^;]+") or ""
    table.insert(pending, { url = "/api/v1/battles/" .. id .. "/vote", cookie = cookie,
                            ip = string.format("10.9.%d.%d", serial % 250, serial % 199 + 1) })
  end
end

done = function(summary, latency, requests)
  io.write(string.format("NON2XX %d\n", bad))
end
