// Starts skycrate-presign-server against the radosgw that tools/test started (SKYCRATE_TEST_*
// variables), on a free port of 127.0.0.1, with two users; stops it by its PID.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const USERS = { alice: "alice-token-0123456789abcdef", bob: "bob-token-0123456789abcdef00" };

export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run through tools/test, which starts radosgw`);
  return v;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startServer(options = {}) {
  const binary = env("SKYCRATE_PRESIGN_SERVER");
  const dir = mkdtempSync(join(tmpdir(), "skycrate-server-"));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = {
    endpoint: env("SKYCRATE_TEST_ENDPOINT"),
    region: env("SKYCRATE_TEST_REGION"),
    store: join(dir, "users.json"),
    // Unique bucket names per run: the radosgw of a test run is shared by every test program.
    bucketPrefix: `srv${process.pid % 100000}`,
    compatible: true,
    // radosgw 16 refuses every PutObject once BlockPublicAcls is set: keep the other three.
    publicAccessBlock: ["IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"],
    tlsOnlyPolicy: false,
    origins: [origin],
    corsMethods: ["PUT", "POST", "GET", "HEAD"],
    maxSize: options.maxSize ?? 8 * 1024 * 1024,
    auditLog: join(dir, "audit.log"),
    port,
    users: USERS,
  };
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(binary, [configPath], {
    stdio: ["ignore", "pipe", "pipe"],
    env: Object.assign({}, process.env, {
      AWS_ACCESS_KEY_ID: env("SKYCRATE_TEST_ACCESS_KEY"),
      AWS_SECRET_ACCESS_KEY: env("SKYCRATE_TEST_SECRET_KEY"),
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    }),
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("the server did not start: " + stderr)), 20000);
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("listening on ")) { clearTimeout(timer); resolve(); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the server exited (${code}): ${stderr}`)); });
  });
  return {
    url: origin,
    origin,
    dir,
    config,
    auditPath: config.auditLog,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.on("exit", r));
        process.kill(child.pid, "SIGTERM");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

// A call of the API: {status, json}.
export async function call(server, path, body, token, rawBody) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const r = await fetch(server.url + path, {
    method: "POST", headers, body: rawBody !== undefined ? rawBody : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = { text }; }
  return { status: r.status, json, headers: r.headers };
}
