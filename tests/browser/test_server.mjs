// skycrate-presign-server over HTTP against radosgw: the API, its authorization, every bad
// input answered with a 4xx JSON error, uploads through what it presigns, the doctor, and an
// audit log without secrets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, call, USERS, env } from "./server.mjs";

let server;
before(async () => { server = await startServer(); });
after(async () => {
  assert.ok(server.alive(), "the server survived every request");
  assert.equal(await server.stop(), 0);
});

const alice = USERS.alice, bob = USERS.bob;

function assertError(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.headers.get("content-type"), "application/json");
  assert.equal(r.json.error.code, code);
  assert.ok(r.json.error.message.length > 0);
}

test("GET / serves the upload page", async () => {
  const r = await fetch(server.url + "/");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/html/);
  const html = await r.text();
  assert.match(html, /<input id="file" type="file">/);
  assert.match(html, /\/api\/s3\/diagnose/);
});

test("authentication: no token, a wrong one, another scheme", async () => {
  assertError(await call(server, "/api/s3/presign", { filename: "a.txt" }), 401, "unauthorized");
  assertError(await call(server, "/api/s3/presign", { filename: "a.txt" }, "x" + alice), 401, "unauthorized");
  assertError(await call(server, "/api/s3/presign", { filename: "a.txt" }, alice.slice(0, -1)), 401, "unauthorized");
  const r = await fetch(server.url + "/api/s3/presign", {
    method: "POST", headers: { Authorization: "Basic " + alice }, body: "{}" });
  assert.equal(r.status, 401);
});

test("bad input gets a 4xx JSON error", async () => {
  assertError(await call(server, "/api/s3/presign", null, alice, "{\"filename\":"), 400, "bad_json");
  assertError(await call(server, "/api/s3/presign", null, alice, "[1,2]"), 400, "bad_json");
  assertError(await call(server, "/api/s3/presign", null, alice, ""), 400, "bad_json");
  assertError(await call(server, "/api/s3/presign", null, alice, "{\"filename\":\"a\",\"filename\":\"b\"}"), 400, "bad_json");
  assertError(await call(server, "/api/s3/presign", null, alice, JSON.stringify({ filename: "x".repeat(70000) })), 413, "body_too_large");
  assertError(await call(server, "/api/s3/presign", {}, alice), 422, "invalid_filename");
  assertError(await call(server, "/api/s3/presign", { filename: 42 }, alice), 422, "invalid_filename");
  assertError(await call(server, "/api/s3/presign", { filename: "" }, alice), 422, "invalid_filename");
  assertError(await call(server, "/api/s3/presign", { filename: "..." }, alice), 422, "invalid_filename");
  assertError(await call(server, "/api/s3/presign", { filename: ". . ." }, alice), 422, "invalid_filename");
  assertError(await call(server, "/api/s3/presign", { filename: "n".repeat(256) }, alice), 422, "invalid_filename");
  assertError(await call(server, "/api/s3/presign", { filename: "a\u0000b" }, alice), 400, "bad_json");
  assertError(await call(server, "/api/s3/presign", { filename: "a", contentType: "text/\n" }, alice), 422, "invalid_content_type");
  assertError(await call(server, "/api/s3/presign", { filename: "a", size: -1 }, alice), 422, "invalid_size");
  assertError(await call(server, "/api/s3/presign", { filename: "a", size: server.config.maxSize + 1 }, alice), 413, "size_over_limit");
  assertError(await call(server, "/api/s3/presign-post", { filename: "a", size: server.config.maxSize + 1 }, alice), 413, "size_over_limit");
  assertError(await call(server, "/api/s3/presign", { filename: "a", expiresIn: 0 }, alice), 422, "invalid_expires");
  assertError(await call(server, "/api/s3/nope", { filename: "a" }, alice), 404, "not_found");
  assertError(await call(server, "/etc/passwd", {}, alice), 404, "not_found");
  const get = await fetch(server.url + "/api/s3/presign", { headers: { Authorization: "Bearer " + alice } });
  assert.equal(get.status, 405);
  assert.equal((await get.json()).error.code, "method_not_allowed");
  const del = await fetch(server.url + "/", { method: "DELETE" });
  assert.equal(del.status, 405);
});

test("a presigned PUT under the user's own prefix uploads to radosgw", async () => {
  const r = await call(server, "/api/s3/presign", { filename: "../../etc/report 2024.pdf", contentType: "application/pdf", size: 11 }, alice);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const c = r.json;
  assert.match(c.key, /^uploads\/alice\/[0-9a-f-]{36}-report 2024\.pdf$/);
  assert.equal(c.method, "PUT");
  assert.deepEqual(c.headers, { "content-type": "application/pdf" });
  assert.ok(Date.parse(c.expiresAt) > Date.now());
  assert.ok(c.uploadUrl.startsWith(env("SKYCRATE_TEST_ENDPOINT") + "/" + c.bucket + "/uploads/alice/"));
  const put = await fetch(c.uploadUrl, { method: "PUT", headers: c.headers, body: "hello world" });
  assert.equal(put.status, 200, await put.text());
  assert.match(put.headers.get("etag"), /^"[0-9a-f]{32}"$/);
  // bob gets his own bucket.
  const b = await call(server, "/api/s3/presign", { filename: "x.txt" }, bob);
  assert.equal(b.status, 200);
  assert.notEqual(b.json.bucket, c.bucket);
  assert.match(b.json.key, /^uploads\/bob\//);
});

test("a POST-policy form uploads, and one over the limit is refused by S3", async () => {
  const r = await call(server, "/api/s3/presign-post", { filename: "form.txt", contentType: "text/plain", size: 5 }, alice);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.fields.key, r.json.key);
  assert.equal(r.json.maxSize, server.config.maxSize);
  const form = new FormData();
  for (const [k, v] of Object.entries(r.json.fields)) form.append(k, v);
  form.append("file", new Blob(["hello"], { type: "text/plain" }), "form.txt");
  const post = await fetch(r.json.url, { method: "POST", body: form });
  assert.equal(post.status, 201, await post.clone().text());
  assert.match(await post.text(), /<Key>uploads\/alice\//);
  const big = new FormData();
  for (const [k, v] of Object.entries(r.json.fields)) big.append(k, v);
  big.append("file", new Blob([new Uint8Array(server.config.maxSize + 1)], { type: "text/plain" }), "form.txt");
  const refused = await fetch(r.json.url, { method: "POST", body: big });
  assert.equal(refused.status, 400);
  const body = await refused.text();
  assert.match(body, /EntityTooLarge/);
  // The doctor reads the answer the page got.
  const d = await call(server, "/api/s3/diagnose", {
    contract: { method: "POST", url: r.json.url, headers: {} }, answer: { status: 400, body } }, alice);
  assert.equal(d.status, 200, JSON.stringify(d.json));
  assert.equal(d.json.verdict, "too-large");
});

test("multipart: create, presigned parts, complete; abort; another user's key is refused", async () => {
  const size = 6 * 1024 * 1024;
  const r = await call(server, "/api/s3/multipart/create", { filename: "big.bin", size }, alice);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.parts.length, 2);
  const data = new Uint8Array(size).map((_, i) => i % 251);
  const parts = [];
  for (const p of r.json.parts) {
    const chunk = data.slice((p.partNumber - 1) * r.json.partSize, p.partNumber * r.json.partSize);
    const put = await fetch(p.url, { method: "PUT", body: chunk });
    assert.equal(put.status, 200);
    parts.push({ partNumber: p.partNumber, etag: put.headers.get("etag") });
  }
  assertError(await call(server, "/api/s3/multipart/complete", { key: r.json.key, uploadId: r.json.uploadId, parts }, bob), 403, "forbidden");
  assertError(await call(server, "/api/s3/multipart/complete", { key: r.json.key.replace("/alice/", "/alice/../bob/"), uploadId: r.json.uploadId, parts }, alice), 403, "forbidden");
  assertError(await call(server, "/api/s3/multipart/complete", { key: r.json.key, uploadId: r.json.uploadId, parts: [] }, alice), 422, "invalid_parts");
  assertError(await call(server, "/api/s3/multipart/complete", { key: r.json.key, parts }, alice), 422, "invalid_upload_id");
  assertError(await call(server, "/api/s3/multipart/create", { filename: "big.bin" }, alice), 422, "invalid_size");
  const done = await call(server, "/api/s3/multipart/complete", { key: r.json.key, uploadId: r.json.uploadId, parts }, alice);
  assert.equal(done.status, 200, JSON.stringify(done.json));
  // radosgw answers CompleteMultipartUpload with an empty ETag; the key is the upload's.
  assert.equal(done.json.key, r.json.key);
  assert.equal(typeof done.json.etag, "string");
  const second = await call(server, "/api/s3/multipart/create", { filename: "gone.bin", size: 10 }, alice);
  const aborted = await call(server, "/api/s3/multipart/abort", { key: second.json.key, uploadId: second.json.uploadId }, alice);
  assert.equal(aborted.status, 200, JSON.stringify(aborted.json));
  const again = await call(server, "/api/s3/multipart/abort", { key: second.json.key, uploadId: second.json.uploadId }, alice);
  assertError(again, 404, "not_found");
});

test("the doctor: a tampered URL, a different Content-Type, another user's URL", async () => {
  const c = (await call(server, "/api/s3/presign", { filename: "d.txt", contentType: "text/plain" }, alice)).json;
  const sig = c.uploadUrl.lastIndexOf("X-Amz-Signature=") + 16;
  const tampered = c.uploadUrl.slice(0, sig) + (c.uploadUrl[sig] === "0" ? "1" : "0") + c.uploadUrl.slice(sig + 1);
  let d = await call(server, "/api/s3/diagnose", { contract: c, sent: { method: "PUT", url: tampered, headers: c.headers }, origin: server.origin }, alice);
  assert.equal(d.status, 200, JSON.stringify(d.json));
  assert.equal(d.json.verdict, "signature-mismatch");
  assert.equal(d.json.code, "SignatureDoesNotMatch");
  d = await call(server, "/api/s3/diagnose", { contract: c, sent: { headers: { "content-type": "text/html" } }, origin: server.origin }, alice);
  assert.equal(d.json.verdict, "header-mismatch");
  assert.equal(d.json.expected, "text/plain");
  assert.equal(d.json.actual, "text/html");
  d = await call(server, "/api/s3/diagnose", { contract: c, origin: "http://not-allowed.example" }, alice);
  assert.equal(d.json.verdict, "cors-origin");
  assertError(await call(server, "/api/s3/diagnose", { contract: c }, bob), 403, "forbidden");
  assertError(await call(server, "/api/s3/diagnose", { contract: { method: "PUT" } }, alice), 422, "invalid_case");
});

test("the audit log has one line per presign and no secret", async () => {
  const before = readFileSync(server.auditPath, "utf8").trim().split("\n").length;
  const r = await call(server, "/api/s3/presign", { filename: "audited.txt" }, bob);
  assert.equal(r.status, 200);
  const text = readFileSync(server.auditPath, "utf8");
  const lines = text.trim().split("\n");
  assert.equal(lines.length, before + 1);
  const last = JSON.parse(lines.at(-1));
  assert.deepEqual(Object.keys(last), ["time", "user", "bucket", "key", "method", "expiresAt", "client"]);
  assert.equal(last.user, "bob");
  assert.equal(last.key, r.json.key);
  assert.equal(last.method, "PUT");
  assert.equal(last.client, "127.0.0.1");
  for (const line of lines) JSON.parse(line);
  for (const secret of [alice, bob, env("SKYCRATE_TEST_SECRET_KEY"), "X-Amz-Signature", "Signature="]) {
    assert.ok(!text.includes(secret), "the audit log holds " + secret.slice(0, 4) + "...");
    assert.ok(!server.stderr().includes(secret), "stderr holds " + secret.slice(0, 4) + "...");
  }
  assert.ok(lines.some((l) => JSON.parse(l).method === "UploadPart"));
  assert.ok(lines.some((l) => JSON.parse(l).method === "POST"));
});
