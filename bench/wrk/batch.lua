-- bench/wrk/batch.lua - POST /v1/batch with 100 track events per request,
-- every messageId unique (nothing is de-duplicated away).
package.path = package.path .. ";" .. (os.getenv("UT_WRK_DIR") or ".") .. "/?.lua"
local c = require("common")
local headers = c.auth_headers()
local n = 100

function setup(thread) c.setup(thread) end

function request()
    local parts = {}
    for i = 1, n do
        parts[i] = string.format(
            '{"type":"track","userId":"u%d","event":"Product Viewed","messageId":"%s",' ..
            '"properties":{"sku":"A-%d","price":12.5},' ..
            '"context":{"page":{"url":"https://shop.example/p?utm_source=google&utm_medium=cpc"}}}',
            i, c.next_id(), i)
    end
    return wrk.format("POST", "/v1/batch", headers, '{"batch":[' .. table.concat(parts, ",") .. ']}')
end
