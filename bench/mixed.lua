-- wrk script: each request takes the next path from a file of distinct query strings.
-- Usage: wrk ... -s bench/mixed.lua URL -- PATHS_FILE
local paths = {}
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  -- Threads start at different offsets so they do not ask for the same paths together.
  counter = math.random(#paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
