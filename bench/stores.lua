-- wrk script for bench/stores.py: every request carries the cookies of the next of the logged-in users, so
-- each connection rotates through all of them. Usage: wrk ... -s bench/stores.lua URL -- COOKIES_FILE PATH
local cookies = {}
local next_user = 1
local path = "/"
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("offset", thread_count)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then cookies[#cookies + 1] = line end
  end
  path = args[2]
  -- Threads start at different users, so that the connections are not in step.
  next_user = ((tonumber(offset) or 1) * 7) % #cookies + 1
end

function request()
  local cookie = cookies[next_user]
  next_user = next_user % #cookies + 1
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end
