-- wrk script: sends 16 `GET /` requests back to back on each connection before reading the
-- responses (HTTP/1.1 pipelining); wrk counts each response as one request.
local depth = 16

init = function(args)
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format(nil, "/")
  end
  batch = table.concat(requests)
end

request = function()
  return batch
end
