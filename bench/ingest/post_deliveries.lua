-- wrk script: POSTs one signed workflow_job delivery, each with a unique X-GitHub-Delivery.
-- BENCH_BODY_FILE and BENCH_SIGNATURE come from the environment (bench/ingest/run);
-- BENCH_DELAY_MS, when set, paces each connection: that long between an answer and the
-- next request (the paced run below the peak).
local counter = 0
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms then
  function delay()
    return delay_ms
  end
end
local prefix = ""
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = "workflow_job"
  wrk.headers["X-GitHub-Hook-ID"] = "1"
  wrk.headers["User-Agent"] = "GitHub-Hookshot/bench"
  wrk.headers["X-Hub-Signature-256"] = os.getenv("BENCH_SIGNATURE")
  prefix = os.getenv("BENCH_RUN_ID") .. "-" .. tostring(tid) .. "-"
end

function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = prefix .. counter
  return wrk.format(nil, "/webhook")
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, non2xx, latency:percentile(50), latency:percentile(99)))
end
