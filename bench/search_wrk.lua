-- wrk: results screens of ever-new queries (2 to 7 digits), so that nearly
-- every request is an uncached find, layout and drawing. The first argument
-- seeds the queries, so runs differ.
local n = 0
local seed = 1
function init(args)
  seed = tonumber(args[1] or "1") or 1
end
function request()
  n = n + 1
  local x = n * 7919 + seed * 104729
  local q = ""
  for k = 1, 2 + (n % 6) do
    q = q .. tostring(2 + (x % 8))
    x = math.floor(x / 8) + k * 31
  end
  return wrk.format("GET", "/tv/sd/search-" .. q .. ".html")
end
