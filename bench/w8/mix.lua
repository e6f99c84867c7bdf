-- wrk script for W8 (bench/workloads.py, w8): one request in EVERY goes to ODD, the others
-- to MAIN; latency and status are tallied per path. Run with as many threads as connections
-- (wrk -tN -cN): each thread then has one connection with at most one request in flight, so
-- a response belongs to the request its thread sent last.
--
--     wrk -t32 -c32 -d10s -s mix.lua URL -- 10 /slow /fast     # W8b: 10 % /slow
--     wrk -t32 -c32 -d60s -s mix.lua URL -- 1000 /crash /hello # W8c: 1 in 1,000 crashes
--     wrk -t1 -c1 -d5s -s mix.lua URL -- 0 - /fast              # /fast alone
--
-- done() prints one `w8 path=...` line per path (`lost`: requests sent that got no response
-- because the connection broke first; `waiting`: still without one when the run ended) and
-- `w8 in_flight=N silent=S oldest_us=U`: all those still waiting, the connections that got
-- no answer in the whole run (a server that serves some connections and leaves the others
-- waiting: their requests are in no latency figure), and the longest wait at the end.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } w8_timespec;
int clock_gettime(int clock, w8_timespec *now);
]]
local now_buffer = ffi.new("w8_timespec")
local function now_us()
  ffi.C.clock_gettime(1, now_buffer) -- CLOCK_MONOTONIC
  return tonumber(now_buffer.tv_sec) * 1000000 + tonumber(now_buffer.tv_nsec) / 1000
end

-- Latency histogram: 10 µs buckets below 10 ms, 1 ms buckets up to 60 s.
local function bucket(us)
  if us < 10000 then return math.floor(us / 10) end
  return 1000 + math.min(math.floor((us - 10000) / 1000), 59990)
end
local function bucket_top_us(b)
  if b < 1000 then return (b + 1) * 10 end
  return 10000 + (b - 1000 + 1) * 1000
end

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Everything a thread counts is in one flat table, `tally` ("sent /fast", "status /fast 200",
-- "bucket /fast 12", ...): wrk's thread:get copies flat tables only.
local function add(key, n)
  tally[key] = (tally[key] or 0) + n
end

function init(args)
  every = tonumber(args[1]) or 0
  odd_path, main_path = args[2], args[3] or "/"
  -- Threads start at different places in the cycle, so that the odd requests are spread.
  count = (id or 0) * 7
  tally = {}
  pending, started = nil, 0
  requests = {[main_path] = wrk.format("GET", main_path)}
  if every > 0 then requests[odd_path] = wrk.format("GET", odd_path) end
end

function request()
  if id == 0 and not checked then
    -- wrk calls the first thread's request() once before the run, to count pipelined
    -- requests: that one is never sent.
    checked = true
    return requests[main_path]
  end
  if pending then add("lost " .. pending, 1) end -- the last one got no response: its connection broke
  count = count + 1
  local path = main_path
  if every > 0 and count % every == 0 then path = odd_path end
  pending, started = path, now_us()
  add("sent " .. path, 1)
  return requests[path]
end

function response(status, headers, body)
  local path = pending
  if not path then return end
  pending = nil
  local us = now_us() - started
  add("answered " .. path, 1)
  add("status " .. path .. " " .. status, 1)
  add("bucket " .. path .. " " .. bucket(us), 1)
  if us > (tally["max " .. path] or 0) then tally["max " .. path] = us end
end

local function percentile(h, total, p)
  if total == 0 then return -1 end
  local keys = {}
  for b, _ in pairs(h) do table.insert(keys, b) end
  table.sort(keys)
  local want, seen = math.ceil(total * p / 100), 0
  for _, b in ipairs(keys) do
    seen = seen + h[b]
    if seen >= want then return bucket_top_us(b) end
  end
  return -1
end

function done(summary, latency, wrk_requests)
  local paths, in_flight, silent, oldest = {}, 0, 0, 0
  local function path_of(name)
    local p = paths[name] or {sent = 0, answered = 0, lost = 0, waiting = 0, statuses = {}, hist = {}, max = 0}
    paths[name] = p
    return p
  end
  for _, thread in ipairs(threads) do
    local waiting = thread:get("pending")
    if waiting then
      in_flight = in_flight + 1
      path_of(waiting).waiting = path_of(waiting).waiting + 1
      oldest = math.max(oldest, now_us() - thread:get("started"))
    end
    local answers = 0
    for key, n in pairs(thread:get("tally")) do
      if key:match("^answered ") then answers = answers + n end
    end
    if answers == 0 then silent = silent + 1 end -- a connection never answered in the run
    for key, n in pairs(thread:get("tally")) do
      local kind, name, detail = key:match("^(%S+) (%S+) ?(%S*)$")
      if kind == "sent" or kind == "answered" or kind == "lost" then
        path_of(name)[kind] = path_of(name)[kind] + n
      elseif kind == "status" then
        local s = path_of(name).statuses
        s[detail] = (s[detail] or 0) + n
      elseif kind == "bucket" then
        local h = path_of(name).hist
        h[tonumber(detail)] = (h[tonumber(detail)] or 0) + n
      elseif kind == "max" then
        path_of(name).max = math.max(path_of(name).max, n)
      end
    end
  end
  for name, p in pairs(paths) do
    local codes = {}
    for status, c in pairs(p.statuses) do table.insert(codes, status .. ":" .. c) end
    -- A percentile is its bucket's upper edge, never above the slowest response.
    io.write(string.format("w8 path=%s sent=%d answered=%d lost=%d waiting=%d statuses=%s p50_us=%d p99_us=%d max_us=%d\n",
      name, p.sent, p.answered, p.lost, p.waiting, table.concat(codes, ","),
      math.min(percentile(p.hist, p.answered, 50), p.max),
      math.min(percentile(p.hist, p.answered, 99), p.max), p.max))
  end
  io.write(string.format("w8 in_flight=%d silent=%d oldest_us=%d\n", in_flight, silent, oldest))
end
