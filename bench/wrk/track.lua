-- bench/wrk/track.lua - POST /v1/track, one event per request, unique messageIds.
package.path = package.path .. ";" .. (os.getenv("UT_WRK_DIR") or ".") .. "/?.lua"
local c = require("common")
local headers = c.auth_headers()

function setup(thread) c.setup(thread) end

function request()
    local body = string.format(
        '{"userId":"u1","event":"Signed Up","messageId":"%s","properties":{"plan":"pro"}}',
        c.next_id())
    return wrk.format("POST", "/v1/track", headers, body)
end
