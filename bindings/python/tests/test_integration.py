"""Integration tests of the Python binding against the radosgw that tools/test starts
(SKYCRATE_TEST_* variables; without them these tests fail, never skip): provision a user's
bucket, presign a PUT, upload with urllib as a browser would, check the object, verify,
usage, deprovision; the example presign endpoint; a POST form; multipart transfers with
progress, cancels and failing streams that leave no unfinished upload; the 403 doctor on a
presigned PUT sent with another Content-Type."""

import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid

import skycrate
from skycrate import errors

MIB = 1 << 20
PARTS = dict(part_size=5 * MIB, multipart_threshold=5 * MIB)  # S3's smallest parts

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
            cors_origins=["https://app.example.com"], cors_methods=("PUT", "POST", "GET"),
            cors_allowed_headers=["content-type", "x-amz-meta-*"],
            cors_expose_headers=["ETag", "x-amz-version-id"])

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

    def test_multipart_transfers_with_progress(self):
        bucket = self.provisioner.provision(self.user).bucket
        data = os.urandom(11 * MIB + 123)  # three parts
        path = os.path.join(self.dir.name, "big.bin")
        with open(path, "wb") as f:
            f.write(data)
        calls = []

        def progress(done, total):
            calls.append((done, total, threading.get_ident()))

        r = self.client.upload(bucket, "big.bin", path, content_type="application/x-big", progress=progress, progress_interval_ms=1, **PARTS)
        self.assertEqual((r.size, r.parts, r.parts_reused), (len(data), 3, 0))
        self.assertTrue(r.upload_id)
        self.assertTrue(r.etag.endswith('-3"'), r.etag)
        self.assertEqual(calls[-1][:2], (len(data), len(data)))
        self.assertGreater(len({done for done, _, _ in calls}), 2)  # progress while the parts move
        self.assertEqual({thread for _, _, thread in calls}, {threading.get_ident()})
        info = self.client.head_object(bucket, "big.bin")
        self.assertEqual((info.size, info.content_type, info.etag), (len(data), "application/x-big", r.etag))

        copy = os.path.join(self.dir.name, "copy.bin")
        down = []
        d = self.client.download(bucket, "big.bin", copy, part_size=5 * MIB, progress=lambda done, total: down.append((done, total)))
        with open(copy, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual((d.size, d.etag, d.parts), (len(data), r.etag, 3))
        self.assertEqual(down[-1], (len(data), len(data)))

        # a file object, and a stream of unknown length read on the lanes
        with open(path, "rb") as f:
            self.assertEqual(self.client.upload(bucket, "fd.bin", f, **PARTS).parts, 3)
        totals = []
        self.client.upload(bucket, "stream.bin", io.BufferedReader(io.BytesIO(data)), progress=lambda done, total: totals.append(total), **PARTS)
        self.assertIn(None, totals)  # unknown while the stream is read
        self.assertEqual(self.client.get_object(bucket, "fd.bin"), data)
        self.assertEqual(self.client.get_object(bucket, "stream.bin"), data)

    def test_a_cancel_from_progress_leaves_no_unfinished_upload(self):
        bucket = self.provisioner.provision(self.user).bucket
        path = os.path.join(self.dir.name, "big.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(20 * MIB))
        watcher = rgw_client()
        watch = skycrate.Provisioner(watcher, store=self.store, failure_mode="compatible")
        under_way = []

        def progress(done, total):
            if done < 5 * MIB:
                return False
            under_way.append(watch.usage(self.user).uploads)  # seen from another client
            return True

        with self.assertRaises(skycrate.CanceledError) as cm:
            self.client.upload(bucket, "big.bin", path, progress=progress, progress_interval_ms=1, concurrency=1, **PARTS)
        self.assertEqual(cm.exception.code, errors.ECANCELED)
        self.assertEqual(under_way, [1])  # the multipart upload existed when it was cancelled ...
        usage = self.provisioner.usage(self.user)
        self.assertEqual((usage.uploads, usage.upload_parts, usage.objects), (0, 0, 0))  # ... and is gone
        with self.assertRaises(skycrate.NotFoundError):
            self.client.head_object(bucket, "big.bin")
        watch.close()
        watcher.close()

        # a download cancelled half way leaves the target as it was, and no partial file
        self.client.upload(bucket, "big.bin", path, **PARTS)
        os.mkdir(os.path.join(self.dir.name, "down"))
        target = os.path.join(self.dir.name, "down", "target")
        with open(target, "wb") as f:
            f.write(b"the old copy")
        with self.assertRaises(skycrate.CanceledError):
            self.client.download(bucket, "big.bin", target, part_size=5 * MIB, progress=lambda done, total: done >= 5 * MIB)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"the old copy")
        self.assertEqual(os.listdir(os.path.dirname(target)), ["target"])

    def test_a_stream_that_fails_on_a_lane_aborts_and_raises(self):
        bucket = self.provisioner.provision(self.user).bucket
        readers = set()

        class Failing(io.RawIOBase):
            """10 MiB, then the source goes away."""

            def __init__(self):
                self.given = 0

            def readable(self):
                return True

            def readinto(self, buffer):
                readers.add(threading.get_ident())
                if self.given >= 10 * MIB:
                    raise ConnectionResetError("the source went away")
                n = min(len(buffer), 10 * MIB - self.given)
                buffer[:n] = b"x" * n
                self.given += n
                return n

        with self.assertRaises(ConnectionResetError):
            self.client.upload(bucket, "broken.bin", Failing(), concurrency=2, **PARTS)
        self.assertTrue(readers - {threading.get_ident()})  # raised on a lane, raised again here
        usage = self.provisioner.usage(self.user)
        self.assertEqual((usage.uploads, usage.objects), (0, 0))

    def test_the_doctor_names_a_content_type_sent_differently(self):
        bucket = self.provisioner.provision(self.user).bucket
        with skycrate.Presigner(self.client) as presigner:
            contract = presigner.presign("PUT", bucket, "report.pdf", headers={"Content-Type": "application/pdf"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            put(contract.url, b"%PDF-1.7", {"Content-Type": "text/plain"})
        failed = cm.exception
        case = skycrate.DoctorCase(contract, headers={"Content-Type": "text/plain"}, origin="https://app.example.com",
                                   answer=skycrate.Answer(failed.code, failed.read(), failed.headers))
        with skycrate.Doctor(self.client) as doctor:
            diagnosed = doctor.diagnose(case)  # from the browser's side only
            replayed = doctor.replay(case, self.client)  # sent again from here, CORS rules read
            fine = doctor.replay(skycrate.DoctorCase(contract, origin="https://app.example.com"), self.client)
        for d in (diagnosed, replayed):
            self.assertEqual((d.verdict, d.subject, d.expected, d.actual), ("header-mismatch", "content-type", "application/pdf", "text/plain"))
            self.assertEqual((d.status, d.code), (403, "SignatureDoesNotMatch"))
        self.assertTrue(fine.ok, fine.message)
        with self.assertRaises(skycrate.NotFoundError):  # the replayed PUT's empty object was removed
            self.client.head_object(bucket, "report.pdf")

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
