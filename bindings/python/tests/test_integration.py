"""Integration tests of the Python binding against the radosgw that tools/test starts
(SKYCRATE_TEST_* variables; without them these tests fail, never skip): provision a user's
bucket, presign a PUT, upload with urllib as a browser would, check the object, verify,
usage, deprovision; the example presign endpoint; a POST form."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid

import skycrate

HERE = os.path.dirname(os.path.abspath(__file__))


def env(name):
    value = os.environ.get(name)
    if not value:
        raise AssertionError("%s is not set: run through tools/test, which starts radosgw" % name)
    return value


def rgw_client():
    provider = skycrate.CredentialsProvider.static(env("SKYCRATE_TEST_ACCESS_KEY"), env("SKYCRATE_TEST_SECRET_KEY"))
    return skycrate.Client(env("SKYCRATE_TEST_REGION"), env("SKYCRATE_TEST_ENDPOINT"), credentials=provider)


def put(url, data, headers):
    request = urllib.request.Request(url, data=data, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.headers.get("ETag")


class Radosgw(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.user = "py-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8])
        self.client = rgw_client()
        self.store = skycrate.UserStore.file(os.path.join(self.dir.name, "users.json"))
        # radosgw 16 denies every PutObject once BlockPublicAcls is set (a server bug,
        # docs/HACKING.md), and rejects encryption and ownership controls: compatible mode.
        self.provisioner = skycrate.Provisioner(
            self.client, store=self.store, failure_mode="compatible",
            public_access_block=skycrate.PAB_ALL & ~skycrate.PAB_BLOCK_PUBLIC_ACLS,
            cors_origins=["https://app.example.com"])

    def tearDown(self):
        try:
            self.provisioner.deprovision(self.user)
        except skycrate.Error:
            pass
        self.provisioner.close()
        self.client.close()
        self.dir.cleanup()

    def test_provision_presign_upload_verify_deprovision(self):
        record = self.provisioner.provision(self.user)
        self.assertEqual(record.state, "active")
        self.assertEqual(record.steps["encryption"], "skipped")
        self.assertEqual(record.notes["encryption"], "HTTP 400 InvalidArgument")
        self.assertEqual(self.provisioner.show(self.user).bucket, record.bucket)

        presigner = skycrate.Presigner(self.client)
        key = skycrate.upload_key(self.user, "notes from the trip.txt")
        contract = presigner.presign("PUT", record.bucket, key, headers={"Content-Type": "text/plain"}, expires=300)
        status, etag = put(contract.url, b"hello from urllib", {"Content-Type": "text/plain"})
        self.assertEqual(status, 200)
        info = self.client.head_object(record.bucket, key)
        self.assertEqual((info.size, info.content_type, info.etag), (17, "text/plain", etag))
        self.assertEqual(self.client.get_object(record.bucket, key), b"hello from urllib")

        # a header that was not signed: the server refuses, the binding says so with S3's code
        with self.assertRaises(urllib.error.HTTPError) as cm:
            put(contract.url, b"x", {"Content-Type": "image/png"})
        self.assertEqual(cm.exception.code, 403)
        self.assertIn(b"SignatureDoesNotMatch", cm.exception.read())

        verify = self.provisioner.verify(self.user)
        self.assertTrue(verify.ok, verify.details)
        self.assertEqual(verify.steps["cors"], "match")
        usage = self.provisioner.usage(self.user)
        self.assertEqual((usage.objects, usage.bytes), (1, 17))
        report = self.provisioner.deprovision(self.user)
        self.assertEqual(report.versions, 1)
        self.assertEqual(report.record.state, "deleted")
        with self.assertRaises(skycrate.NotFoundError) as cm:
            self.client.head_bucket(record.bucket)
        self.assertEqual(cm.exception.response.http_status, 404)

    def test_s3_errors_carry_the_servers_answer(self):
        with self.assertRaises(skycrate.NotFoundError) as cm:
            self.client.get_object("no-such-bucket-%s" % self.user, "k")
        r = cm.exception.response
        self.assertEqual((r.http_status, r.s3_code), (404, "NoSuchBucket"))
        self.assertTrue(r.request_id)
        self.assertIn("NoSuchBucket", str(cm.exception))

    def test_presigned_parts_and_listing(self):
        bucket = self.provisioner.provision(self.user).bucket
        upload_id = self.client.create_multipart_upload(bucket, "big.bin", "application/octet-stream")
        data = os.urandom(5 * 1024 * 1024 + 1000)  # every part but the last has at least 5 MiB
        chunks = [data[: 5 * 1024 * 1024], data[5 * 1024 * 1024:]]
        with skycrate.Presigner(self.client) as presigner:
            parts = presigner.sign_parts(bucket, "big.bin", upload_id, len(chunks))
        etags = [(n + 1, put(part.url, chunk, part.headers)[1]) for n, (part, chunk) in enumerate(zip(parts, chunks))]
        self.client.complete_multipart_upload(bucket, "big.bin", upload_id, etags)
        self.assertEqual(self.client.get_object(bucket, "big.bin"), data)
        for i in range(3):
            self.client.put_object(bucket, "list/%d" % i, b"x" * i, "text/plain")
        listed = list(self.client.list_objects(bucket, prefix="list/", max_keys=2))  # two pages
        self.assertEqual([(o.key, o.size) for o in listed], [("list/0", 0), ("list/1", 1), ("list/2", 2)])
        self.client.delete_object(bucket, "list/1")
        self.assertEqual(len(list(self.client.list_objects(bucket, prefix="list/"))), 2)

    def test_a_post_form_uploads(self):
        bucket = self.provisioner.provision(self.user).bucket
        with skycrate.Presigner(self.client) as presigner:
            form = presigner.post_form(bucket, key_prefix="uploads/", content_length_range=(1, 100), success_action_status=201)
        boundary = uuid.uuid4().hex
        fields = dict(form.fields, key="uploads/form.txt", success_action_status="201")
        body = b"".join(
            b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary.encode(), n.encode(), v.encode())
            for n, v in fields.items())
        body += b'--%s\r\nContent-Disposition: form-data; name="file"; filename="form.txt"\r\n\r\nposted\r\n--%s--\r\n' % (boundary.encode(), boundary.encode())
        request = urllib.request.Request(form.url, data=body, method="POST", headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
        with urllib.request.urlopen(request, timeout=30) as answer:
            self.assertEqual(answer.status, 201)
        self.assertEqual(self.client.get_object(bucket, "uploads/form.txt"), b"posted")

    def test_the_example_presign_endpoint(self):
        bucket = self.provisioner.provision(self.user).bucket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server_env = dict(os.environ, BUCKET=bucket, PORT=str(port), S3_ENDPOINT=env("SKYCRATE_TEST_ENDPOINT"),
                          AWS_ACCESS_KEY_ID=env("SKYCRATE_TEST_ACCESS_KEY"), AWS_SECRET_ACCESS_KEY=env("SKYCRATE_TEST_SECRET_KEY"),
                          AWS_REGION=env("SKYCRATE_TEST_REGION"), AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                          PYTHONPATH=os.path.dirname(os.path.dirname(skycrate.__file__)))
        server = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "examples", "presign_server.py")], env=server_env)
        try:
            request = urllib.request.Request("http://127.0.0.1:%d/api/s3/presign" % port, method="POST",
                                             data=json.dumps({"filename": "photo.jpg", "contentType": "image/jpeg"}).encode())
            for _ in range(100):  # the server is starting
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        answer = json.load(answer)
                    break
                except urllib.error.URLError:
                    time.sleep(0.1)
            else:
                self.fail("the example server did not answer")
        finally:
            server.terminate()
            server.wait(10)
        self.assertTrue(answer["key"].startswith("uploads/demo-user/"))
        self.assertEqual(answer["headers"], {"content-type": "image/jpeg"})
        status, _ = put(answer["uploadUrl"], b"\xff\xd8jpeg", {"Content-Type": "image/jpeg"})
        self.assertEqual(status, 200)
        self.assertEqual(self.client.get_object(bucket, answer["key"]), b"\xff\xd8jpeg")


if __name__ == "__main__":
    unittest.main()
