wrk.method = "POST"
wrk.body = '{"outcome":"a","watch_ms":5000}'
wrk.headers["Content-Type"] = "application/json"
