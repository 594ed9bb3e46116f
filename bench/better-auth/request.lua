-- wrk request script; everything comes from the environment set by run.sh:
--   BENCH_METHOD (GET/POST), BENCH_BODY (optional), BENCH_COOKIE (optional), BENCH_ORIGIN
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN")
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
