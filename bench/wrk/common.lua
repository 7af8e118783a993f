-- bench/wrk/common.lua - shared by the wrk scripts: unique message ids per
-- thread and request, and Basic auth with the write key from the environment.
local M = {}
local counter = 0
local nthreads = 0
-- one run's ids never collide with another run's: a random prefix per process
local run = string.format("%x%x", os.time(), math.random(0, 0xffffff))

function M.setup(thread)
    nthreads = nthreads + 1
    thread:set("ut_tid", nthreads) -- a global in the thread's own Lua state
end

function M.next_id()
    counter = counter + 1
    return string.format("%s-%d-%d", run, ut_tid or 0, counter)
end

function M.auth_headers()
    -- base64 of "key:" done by the shell and passed in UT_AUTH
    return {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Basic " .. (os.getenv("UT_AUTH") or ""),
    }
end

return M
