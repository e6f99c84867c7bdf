-- wrk script for W6: every request asks the server to close the connection after the
-- response (`Connection: close`), so wrk opens a new connection per request, like ab
-- without -k but with wrk's time-outs: a server that never answers counts errors instead of
-- hanging ab.
wrk.headers["Connection"] = "close"

-- wrk's own resolve() tries a *blocking* connect() to each address before the run; against a
-- server whose listen queue is full (slowloris) that connect waits for minutes. Take the
-- address as it is: the run's non-blocking connects then time out and count as errors.
function wrk.resolve(host, service)
  wrk.addrs = wrk.lookup(host, service)
end
