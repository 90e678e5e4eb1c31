-- wrk script for the sign-in benchmark (tests/bench/identity.py,
-- docs/performance.md): every request is POST /api/v1/session with a JSON
-- body {"login": U, "password": P}, U rotating through the seeded accounts,
-- all with the correct password (failures are throttled, successes never).
--
-- usage: wrk -s signin.lua URL -- ACCOUNTS_FILE
-- ACCOUNTS_FILE: the password on the first line, then one login per line.
-- Each wrk thread starts at a different account so the threads do not move
-- in step through the list.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function json_string(s)
   -- Logins and the bench password are plain ASCII; escape the two JSON
   -- specials anyway so a different file cannot produce a broken body.
   return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

function init(args)
   local path = args[1]
   if path == nil then
      error("signin.lua needs the accounts file: wrk -s signin.lua URL -- FILE")
   end
   local f = assert(io.open(path, "r"))
   local password = f:read("*l")
   bodies = {}
   for login in f:lines() do
      if login ~= "" then
         table.insert(bodies, '{"login":' .. json_string(login) .. ',"password":' .. json_string(password) .. '}')
      end
   end
   f:close()
   if #bodies == 0 then
      error("signin.lua: no accounts in " .. path)
   end
   headers = { ["Content-Type"] = "application/json" }
   -- Spread the threads over the list.
   pos = (index * math.floor(#bodies / 2 + 1)) % #bodies
   statuses = {}
end

function request()
   pos = pos % #bodies + 1
   return wrk.format("POST", "/api/v1/session", headers, bodies[pos])
end

function response(status, hdrs, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   -- One line per status, for the bench to parse: "status 200: 1234".
   local total = {}
   for _, t in ipairs(threads) do
      local s = t:get("statuses")
      if s then
         for code, n in pairs(s) do
            total[code] = (total[code] or 0) + n
         end
      end
   end
   for code, n in pairs(total) do
      io.write(string.format("status %d: %d\n", code, n))
   end
end
