// The seed's presign API as its Next.js route does it, without Next.js: a plain Node HTTP
// server around @aws-sdk/s3-request-presigner's getSignedUrl, with the same bearer token check,
// key shape and JSON answer as skycrate-presign-server. For bench/presign-server/run.sh only.
import { createServer } from "node:http";
import { randomUUID, timingSafeEqual } from "node:crypto";
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const [port, endpoint, bucket, token] = process.argv.slice(2);
const s3 = new S3Client({ region: process.env.AWS_REGION || "us-east-1", endpoint, forcePathStyle: true });
const expected = Buffer.from("Bearer " + token);

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(text);
}

createServer((req, res) => {
  let body = "";
  req.on("data", (d) => { body += d; });
  req.on("end", async () => {
    const auth = Buffer.from(req.headers.authorization || "");
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected))
      return reply(res, 401, { error: { code: "unauthorized", message: "a valid bearer token is required" } });
    let input;
    try { input = JSON.parse(body); } catch { return reply(res, 400, { error: { code: "bad_json", message: "" } }); }
    const name = String(input.filename || "").replace(/^.*[\\/]/, "");
    if (!name || /^[. ]+$/.test(name)) return reply(res, 422, { error: { code: "invalid_filename", message: "" } });
    const key = `uploads/bench/${randomUUID()}-${name}`;
    const command = new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: input.contentType });
    const expiresIn = 900;
    const url = await getSignedUrl(s3, command, { expiresIn, signableHeaders: new Set(["content-type"]) });
    reply(res, 200, { key, bucket, uploadUrl: url, method: "PUT",
                      headers: input.contentType ? { "content-type": input.contentType } : {},
                      expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString().replace(/\.\d+Z$/, "Z") });
  });
}).listen(Number(port), "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + port));
