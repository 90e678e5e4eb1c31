-- wrk script for the invite creation benchmark (tests/bench/invites.py,
-- docs/performance.md): every request is POST /api/v1/invites with a new
-- email, as the next signed-in admin in turn (its session cookie and CSRF
-- token), so each request creates one invite, one outbox row and one audit row.
--
-- usage: wrk -s invites.lua URL -- SESSIONS_FILE TAG
-- SESSIONS_FILE: one "COOKIE CSRF" line per admin.  TAG keeps the emails of
-- one run apart from every other run's ("i<TAG>-<thread>-<n>@bench-invites.example").

local threads = {}
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local path, tag = args[1], args[2]
   if path == nil or tag == nil then
      error("invites.lua needs the sessions file and a tag: wrk -s invites.lua URL -- FILE TAG")
   end
   sessions = {}
   for line in io.lines(path) do
      local cookie, csrf = line:match("^(%S+) (%S+)$")
      if cookie then
         table.insert(sessions, { cookie = cookie, csrf = csrf })
      end
   end
   if #sessions == 0 then
      error("invites.lua: no sessions in " .. path)
   end
   prefix = "i" .. tag .. "-" .. index .. "-"
   n = 0
   pos = index % #sessions
   statuses = {}
   sent = 0
end

function request()
   n = n + 1
   sent = n
   pos = pos % #sessions + 1
   local s = sessions[pos]
   local headers = { ["Content-Type"] = "application/json", ["Cookie"] = s.cookie, ["X-CSRF-Token"] = s.csrf }
   local body = '{"email":"' .. prefix .. n .. '@bench-invites.example","role":"customer_member"}'
   return wrk.format("POST", "/api/v1/invites", headers, body)
end

function response(status, hdrs, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   -- One line per status, for the bench to parse: "status 201: 1234".
   local total, all_sent = {}, 0
   for _, t in ipairs(threads) do
      all_sent = all_sent + (t:get("sent") or 0)
      local s = t:get("statuses")
      if s then
         for code, k in pairs(s) do
            total[code] = (total[code] or 0) + k
         end
      end
   end
   for code, k in pairs(total) do
      io.write(string.format("status %d: %d\n", code, k))
   end
   -- Requests sent minus answers: those in flight when wrk stopped.
   io.write(string.format("sent %d\n", all_sent))
end
