-- soak.lua: wrk script for bench/soak.sh: rotates over the read routes of a few stored captures
-- and counts answers by class. Environment: SOAK_TOKEN, SOAK_IDS (comma separated).
-- SPDX-License-Identifier: GPL-2.0-or-later
local token = os.getenv("SOAK_TOKEN")
local ids = {}
for id in string.gmatch(os.getenv("SOAK_IDS"), "[^,]+") do ids[#ids + 1] = id end
local routes = {
	"/api/v2/analysis/%s/status",
	"/api/v2/analysis/%s/stats/hierarchy",
	"/api/v2/analysis/%s/stats/endpoints?protocol=ip",
	"/api/v2/analysis/%s/stats/conversations?protocol=tcp",
	"/api/v2/analysis/%s/dns/lookups",
	"/api/v2/analysis/%s/packets/fields?fields=frame.number,ip.src,frame.len&limit=50",
	"/api/v1/" .. token .. "/info/%s",
	"/api/v1/" .. token .. "/download/%s",
}
local threads = {}
local n = 0

function setup(thread)
	thread:set("c2xx", 0)
	thread:set("c4xx", 0)
	thread:set("c5xx", 0)
	table.insert(threads, thread)
end

function request()
	n = n + 1
	local path = string.format(routes[n % #routes + 1], ids[n % #ids + 1])
	return wrk.format("GET", path, { ["Authorization"] = token })
end

function response(status, headers, body)
	if status >= 500 then c5xx = c5xx + 1 elseif status >= 400 then c4xx = c4xx + 1 else c2xx = c2xx + 1 end
end

function done(summary, latency, requests)
	local a, b, c = 0, 0, 0
	for _, t in ipairs(threads) do
		a = a + t:get("c2xx"); b = b + t:get("c4xx"); c = c + t:get("c5xx")
	end
	local e = summary.errors
	io.write(string.format("wrk: %d requests, 2xx %d, 4xx %d, 5xx %d, socket errors: connect %d, read %d, write %d, timeout %d; p99 %.1f ms\n",
		summary.requests, a, b, c, e.connect, e.read, e.write, e.timeout, latency:percentile(99) / 1000))
end
