"""POST /api/s3/presign {"filename": ..., "contentType": ...} -> {key, uploadUrl, headers}:
a presign endpoint for browser uploads with the standard library's http.server.

  BUCKET=my-bucket [S3_ENDPOINT=http://127.0.0.1:PORT] [PORT=8080] python3 presign_server.py
Credentials and region: the AWS chain (AWS_ACCESS_KEY_ID, ..., AWS_REGION).
"""
import json
import os
from http.server import HTTPServer, BaseHTTPRequestHandler

import skycrate

client = skycrate.Client(endpoint=os.environ.get("S3_ENDPOINT"))
presigner = skycrate.Presigner(client)  # thread-safe: one for every request
BUCKET, USER = os.environ["BUCKET"], "demo-user"  # a real app takes the user from its session


class Presign(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/api/s3/presign":
            return self.send_error(404)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = skycrate.upload_key(USER, body["filename"])
        headers = {"Content-Type": body.get("contentType", "application/octet-stream")}
        try:
            contract = presigner.presign("PUT", BUCKET, key, headers=headers, expires=900)
        except skycrate.Error as e:
            return self.send_error(400, str(e))
        answer = json.dumps({"key": key, "uploadUrl": contract.url, "headers": contract.headers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8080"))), Presign).serve_forever()
