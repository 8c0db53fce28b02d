-- wrk: the same POST /api/s3/presign for both servers.
wrk.method = "POST"
wrk.body = '{"filename":"report 2024.pdf","contentType":"application/pdf","size":123456}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
