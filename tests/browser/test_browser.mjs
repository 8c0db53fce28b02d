// The upload page of skycrate-presign-server in a real browser (Debian's Chromium, driven by
// playwright-core) uploading to radosgw: a presigned PUT, a POST-policy form and a multipart
// upload, each read back through the library and compared byte for byte; and the failures a
// browser meets, each shown on the page with the 403 doctor's verdict.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startServer, USERS, env } from "./server.mjs";

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"];
let server, context, profile;
const shots = process.env.SKYCRATE_SCREENSHOTS || mkdtempSync(join(tmpdir(), "skycrate-shots-"));

before(async () => {
  server = await startServer({ maxSize: 8 * 1024 * 1024 });
  profile = mkdtempSync(join(tmpdir(), "skycrate-chromium-"));
  mkdirSync(shots, { recursive: true });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium", headless: true, args: FLAGS,
    viewport: { width: 900, height: 640 },
  });
});
after(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  assert.equal(await server?.stop(), 0);
});

// The object as the library reads it: a GET presigned by skycrate-presign, fetched.
async function readBack(bucket, key) {
  const url = execFileSync(env("SKYCRATE_PRESIGN_CLI"), [
    "--endpoint", env("SKYCRATE_TEST_ENDPOINT"), "--region", env("SKYCRATE_TEST_REGION"),
    "GET", bucket, key], {
    env: Object.assign({}, process.env, {
      AWS_ACCESS_KEY_ID: env("SKYCRATE_TEST_ACCESS_KEY"),
      AWS_SECRET_ACCESS_KEY: env("SKYCRATE_TEST_SECRET_KEY"),
      AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    }),
  }).toString().trim();
  const r = await fetch(url);
  assert.equal(r.status, 200, "read back " + key);
  return Buffer.from(await r.arrayBuffer());
}

function bytes(size, seed) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

// Opens the page (at `base`), uploads one file and waits for the page's verdict.
async function upload({ base = server.url, token = USERS.alice, mode = "put", fault = "",
                        name = "report.txt", mimeType = "text/plain", data, shot }) {
  const page = await context.newPage();
  try {
    await page.goto(base + "/");
    await page.fill("#token", token);
    await page.setInputFiles("#file", { name, mimeType, buffer: data });
    await page.selectOption("#mode", mode);
    await page.selectOption("#fault", fault);
    await page.click("#go");
    await page.waitForSelector('#result[data-state="done"], #result[data-state="failed"]', { timeout: 60000 });
    const state = await page.getAttribute("#result", "data-state");
    const shown = await page.textContent("#result");
    const last = await page.evaluate(() => window.lastResult);
    if (shot) await page.screenshot({ path: join(shots, shot), fullPage: true });
    return { state, shown, last };
  } finally {
    await page.close();
  }
}

async function uploaded(mode, data, name, mimeType) {
  const r = await upload({ mode, data, name, mimeType, shot: mode === "put" ? "browser-upload-success.png" : undefined });
  assert.equal(r.state, "done", r.shown);
  assert.ok(r.last.ok);
  assert.match(r.last.key, /^uploads\/alice\//);
  assert.ok(r.shown.includes(r.last.key));
  assert.ok(r.shown.includes("ETag"));
  const back = await readBack(r.last.bucket, r.last.key);
  assert.ok(back.equals(data), `${mode}: the object read back differs (${back.length} bytes)`);
  return r;
}

test("a presigned PUT: 200, the ETag on the page, the bytes in the bucket", async () => {
  const r = await uploaded("put", bytes(300 * 1024, 1), "report 2024.txt", "text/plain");
  assert.match(r.last.etag, /^"[0-9a-f]{32}"$/);
  assert.ok(r.shown.includes(r.last.etag));
});

test("a POST-policy form", async () => {
  const r = await uploaded("post", bytes(100 * 1024, 2), "form.bin", "application/octet-stream");
  assert.match(r.last.etag, /^"?[0-9a-f]{32}"?$/); // radosgw's PostResponse ETag is unquoted
});

test("a multipart upload of a file bigger than one part", async () => {
  const r = await uploaded("multipart", bytes(6 * 1024 * 1024 + 12345, 3), "big.bin", "application/octet-stream");
  assert.equal(r.last.parts, 2);
});

async function refused(options, verdict, words) {
  const r = await upload(Object.assign({ data: bytes(2048, 9) }, options));
  assert.equal(r.state, "failed", r.shown);
  assert.equal(r.last.verdict, verdict, r.shown);
  assert.ok(r.shown.includes(verdict), r.shown);
  assert.match(r.shown, words);
  return r;
}

test("the page's origin is not in the bucket's CORS rule", async () => {
  // Same server, another origin: http://localhost:PORT is not http://127.0.0.1:PORT.
  const base = server.url.replace("127.0.0.1", "localhost");
  const r = await refused({ base, shot: "browser-upload-cors-failure.png" }, "cors-origin",
                          /origin http:\/\/localhost:\d+ is in no CORS rule/);
  assert.match(r.shown, /TypeError/);
});

test("a tampered signature", async () => {
  await refused({ fault: "tamper" }, "signature-mismatch", /changed after it was signed/);
});

test("another Content-Type than the one signed", async () => {
  await refused({ fault: "content-type" }, "header-mismatch",
                /content-type was signed as "text\/plain" but sent as "application\/x-not-what-was-signed"/);
});

test("an expired URL", async () => {
  await refused({ fault: "expired" }, "expired", /The URL expired at \d{4}-\d\d-\d\dT/);
});

test("a POST over the size limit", async () => {
  const r = await refused({ mode: "post", fault: "too-large", data: bytes(8 * 1024 * 1024 + 1, 4) },
                          "too-large", /larger than the form's POST policy allows/);
  assert.match(r.shown, /HTTP 400/);
});

test("a token of another user, and no valid token", async () => {
  let r = await upload({ mode: "multipart", fault: "other-user", data: bytes(1000, 5) });
  assert.equal(r.state, "failed");
  assert.match(r.shown, /the key is not under your prefix/);
  assert.equal(r.last.api.code, "forbidden");
  r = await upload({ token: "not-a-token-of-anyone", data: bytes(10, 6) });
  assert.equal(r.state, "failed");
  assert.match(r.shown, /a valid bearer token is required/);
  assert.equal(r.last.api.code, "unauthorized");
});
