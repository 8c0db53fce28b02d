"""Unit tests of the Python binding against the built library (no network but a PutObject
endpoint of this process on 127.0.0.1): loading, errors as exceptions, presigning (checked
against botocore), credentials from Python callables, user stores in Python, dev-mode
provisioning, transfers (bad input, progress, callables that cancel or raise), the 403 doctor,
handle lifetimes, eight presigning threads."""

import calendar
import gc
import hashlib
import http.server
import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

import skycrate
from skycrate import errors

ACCESS, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
T0 = 1732300000  # 2024-11-22T18:26:40Z
ENDPOINT = "http://127.0.0.1:9000"


def static_client(**kw):
    kw.setdefault("credentials", skycrate.CredentialsProvider.static(ACCESS, SECRET))
    return skycrate.Client("eu-west-1", ENDPOINT, **kw)


class Loading(unittest.TestCase):
    def test_the_library_is_the_abi_this_binding_is_for(self):
        self.assertTrue(skycrate.library_version().startswith("0.2."))

    def test_skycrate_library_names_the_file(self):
        env = dict(os.environ, SKYCRATE_LIBRARY="/nonexistent/libskycrate.so")
        r = subprocess.run([sys.executable, "-c", "import skycrate"], env=env, capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("SKYCRATE_LIBRARY", r.stderr)
        self.assertIn("/nonexistent/libskycrate.so", r.stderr)


class Errors(unittest.TestCase):
    def test_a_library_error_is_an_exception_with_code_and_message(self):
        with static_client() as c, skycrate.Presigner(c) as p:
            with self.assertRaises(skycrate.InvalidArgumentError) as cm:
                p.presign("PUT", "bucket", "key", expires=0)
        e = cm.exception
        self.assertEqual(e.code, errors.EINVAL)
        self.assertIsInstance(e, ValueError)
        self.assertIn("expir", e.message)

    def test_an_unreachable_server_is_a_connect_error_with_its_answer(self):
        lines = []
        skycrate.set_log(lambda level, message: lines.append((level, message)), 3)
        try:
            with static_client(retry=(2, 1, 1), timeouts=(500, 1000)) as c:
                with self.assertRaises(skycrate.ConnectError) as cm:
                    c.head_bucket("bucket")
        finally:
            skycrate.set_log(None)
        self.assertEqual(cm.exception.code, errors.ECONNECT)
        self.assertEqual(cm.exception.response.http_status, 0)
        self.assertEqual(cm.exception.response.attempts, 2)
        self.assertTrue(any("HeadBucket" in m or "127.0.0.1" in m for _, m in lines), lines)
        self.assertFalse(any(SECRET in m for _, m in lines))


def botocore_url(method, key, content_type, expires, t0):
    """The same presigned URL from botocore (the oracle), its clock frozen at t0."""
    os.environ["BOTO_DISABLE_CRT"] = "true"
    import datetime
    import types

    import botocore.auth
    import botocore.config
    import botocore.session
    import botocore.signers

    fixed = datetime.datetime.fromtimestamp(t0, datetime.timezone.utc).replace(tzinfo=None)

    class Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    ns = types.SimpleNamespace(datetime=Frozen, timedelta=datetime.timedelta)
    saved = botocore.auth.datetime, botocore.signers.datetime
    botocore.auth.datetime = botocore.signers.datetime = ns
    try:
        s3 = botocore.session.get_session().create_client(
            "s3", region_name="eu-west-1", endpoint_url=ENDPOINT, aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET, config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        params = {"Bucket": "bucket", "Key": key}
        if content_type:
            params["ContentType"] = content_type
        operation = {"PUT": "put_object", "GET": "get_object"}[method]
        return s3.generate_presigned_url(operation, Params=params, ExpiresIn=expires)
    finally:
        botocore.auth.datetime, botocore.signers.datetime = saved


class Presigning(unittest.TestCase):
    def setUp(self):
        self.client = static_client(addressing="path")
        self.presigner = skycrate.Presigner(self.client)

    def tearDown(self):
        self.presigner.close()
        self.client.close()

    def test_the_contract_matches_botocore(self):
        key = "uploads/u42/r\u00e9sum\u00e9 #1.pdf"
        c = self.presigner.presign("PUT", "bucket", key, headers={"Content-Type": "application/pdf"}, expires=900, time=T0)
        self.assertEqual(c.url, botocore_url("PUT", key, "application/pdf", 900, T0))
        self.assertEqual((c.method, c.bucket, c.key), ("PUT", "bucket", key))
        self.assertEqual(c.headers, {"content-type": "application/pdf"})
        self.assertEqual((c.expires_at, c.expires_in, c.clamped), (T0 + 900, 900, False))
        self.assertEqual(c.json["url"], c.url)
        self.assertEqual(c.json["expiresAt"], "2024-11-22T18:41:40Z")
        get = self.presigner.presign("GET", "bucket", "a b", time=T0, expires=60)
        self.assertEqual(get.url, botocore_url("GET", "a b", None, 60, T0))

    def test_the_fast_path_makes_the_same_url(self):
        c = self.presigner.presign("GET", "bucket", "k", time=T0, query={"response-content-type": "text/plain"})
        self.assertEqual(self.presigner.url("GET", "bucket", "k", time=T0, query={"response-content-type": "text/plain"}), c.url)
        long = {"response-content-disposition": "attachment; filename=" + "x" * 5000}
        url = self.presigner.url("GET", "bucket", "k", time=T0, query=long)  # longer than the first buffer
        self.assertGreater(len(url), 5000)
        self.assertEqual(url, self.presigner.presign("GET", "bucket", "k", time=T0, query=long).url)

    def test_explain_shows_what_was_signed(self):
        c = self.presigner.presign("PUT", "bucket", "k", headers={"Content-Type": "text/plain"}, time=T0, explain=True)
        self.assertTrue(c.canonical_request.startswith("PUT\n/bucket/k\n"))
        self.assertIn("content-type:text/plain\n", c.canonical_request)
        self.assertTrue(c.string_to_sign.startswith("AWS4-HMAC-SHA256\n20241122T182640Z\n"))
        self.assertNotIn(SECRET, c.canonical_request + c.string_to_sign)
        self.assertIsNone(self.presigner.presign("GET", "bucket", "k", time=T0).canonical_request)

    def test_post_forms_and_parts(self):
        form = self.presigner.post_form("bucket", key_prefix="uploads/u42/", content_length_range=(1, 1024), time=T0)
        self.assertEqual(form.url, ENDPOINT + "/bucket")
        self.assertEqual(form.fields["x-amz-algorithm"], "AWS4-HMAC-SHA256")
        self.assertIn('["content-length-range", 1, 1024]', form.policy)
        self.assertIn('["starts-with", "$key", "uploads/u42/"]', form.policy)
        parts = self.presigner.sign_parts("bucket", "big", "upload-1", 3, first_part=2)
        self.assertEqual([urllib.parse.parse_qs(urllib.parse.urlparse(p.url).query)["partNumber"] for p in parts], [["2"], ["3"], ["4"]])

    def test_upload_keys_are_safe(self):
        key = skycrate.upload_key("u42", "../../etc/passwd")
        self.assertTrue(key.startswith("uploads/u42/"))
        self.assertNotIn("..", key)

    def test_a_clock_offset_set_moves_the_signing_time(self):
        self.client.clock_offset = 3600
        self.assertEqual(self.client.clock_offset, 3600)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.presigner.url("GET", "bucket", "k")).query)
        signed = calendar.timegm(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
        self.assertLess(abs(signed - (time.time() + 3600)), 60)
        with self.assertRaises(skycrate.InvalidArgumentError):
            self.client.clock_offset = 315576001
        self.assertEqual(self.client.clock_offset, 3600)

    def test_a_presigner_outlives_its_client(self):
        self.client.close()
        self.assertIn("X-Amz-Signature=", self.presigner.url("GET", "bucket", "k"))


class Credentials(unittest.TestCase):
    def test_a_python_callable_provides_credentials(self):
        calls = []

        def provide():
            calls.append(1)
            return skycrate.Credentials("AKIDFROMPYTHON", SECRET, "token-from-python")

        provider = skycrate.CredentialsProvider.from_callable(provide, "python-vault")
        self.assertEqual(provider.name, "python-vault")
        got = provider.get()
        self.assertEqual(got.access_key_id, "AKIDFROMPYTHON")
        self.assertNotIn(SECRET, repr(got))
        with skycrate.Client("eu-west-1", ENDPOINT, credentials=provider) as c:
            del provider
            gc.collect()  # the client keeps the provider, and the provider its callable
            with skycrate.Presigner(c) as p:
                url = p.url("GET", "bucket", "k")
        self.assertIn("AKIDFROMPYTHON", url)
        self.assertIn("X-Amz-Security-Token=token-from-python", url)
        self.assertEqual(len(calls), 2)

    def test_the_callable_is_released_with_the_last_reference(self):
        from skycrate import credentials

        before = len(credentials._callables)
        provider = skycrate.CredentialsProvider.from_callable(lambda: (ACCESS, SECRET))
        client = skycrate.Client("eu-west-1", ENDPOINT, credentials=provider)
        provider.close()
        self.assertEqual(len(credentials._callables), before + 1)  # the client holds it
        client.close()
        self.assertEqual(len(credentials._callables), before)

    def test_an_exception_in_the_callable_is_the_cause(self):
        def broken():
            raise KeyError("vault sealed")

        provider = skycrate.CredentialsProvider.from_callable(broken)
        with self.assertRaises(skycrate.UserCallbackError) as cm:
            provider.get()
        self.assertIsInstance(cm.exception.__cause__, KeyError)
        self.assertIn("KeyError", cm.exception.message)

    def test_chain_and_cache(self):
        empty = skycrate.CredentialsProvider.from_callable(lambda: (_ for _ in ()).throw(skycrate.NotFoundError(errors.ENOTFOUND, "none")))
        static = skycrate.CredentialsProvider.static(ACCESS, SECRET)
        chain = skycrate.CredentialsProvider.cached(skycrate.CredentialsProvider.chain([empty, static]))
        self.assertEqual(chain.get().access_key_id, ACCESS)


class MemoryStore:
    """A user store in a dict: compare-and-swap under a lock."""

    def __init__(self):
        self.records, self.lock = {}, threading.Lock()

    def get(self, user_id):
        return self.records.get(user_id)

    def put(self, user_id, json, expected):
        with self.lock:
            if self.records.get(user_id) != expected:
                return False
            self.records[user_id] = json
            return True

    def remove(self, user_id, expected):
        with self.lock:
            if user_id not in self.records:
                return None
            if expected is not None and self.records[user_id] != expected:
                return False
            del self.records[user_id]
            return True


class Provisioning(unittest.TestCase):
    def test_dev_mode_with_a_store_in_python(self):
        memory = MemoryStore()
        store = skycrate.UserStore.from_object(memory)
        with skycrate.Provisioner(store=store, dev=True) as p:
            record = p.provision("u42")
            self.assertEqual((record.state, record.mode, record.user_id), ("active", "dev", "u42"))
            self.assertEqual(record.steps["create"], "done")
            self.assertIn('"state":"active"', memory.records["u42"].replace(" ", ""))
            self.assertEqual(p.show("u42"), record)
            report = p.deprovision("u42")
            self.assertEqual(report.record.state, "deleted")
            with self.assertRaises(skycrate.NotFoundError):
                p.show("nobody")

    def test_the_file_store_and_direct_store_calls(self):
        with tempfile.TemporaryDirectory() as d:
            store = skycrate.UserStore.file(os.path.join(d, "users.json"))
            store.put("a", '{"n": 1}')
            with self.assertRaises(skycrate.ConflictError):
                store.put("a", '{"n": 2}')
            text = store.get("a")
            store.put("a", '{"n": 2}', text)
            with self.assertRaises(skycrate.ConflictError):
                store.put("a", '{"n": 3}', text)
            with skycrate.Provisioner(store=store, dev=True) as p:
                self.assertEqual(p.provision("b").state, "active")
            store.close()

    def test_the_cors_rule_is_checked_before_any_request(self):
        for bad in ({"cors_methods": ("PATCH",)}, {"cors_allowed_headers": ["a b"]},
                    {"cors_expose_headers": ["x:y"]}, {"cors_allowed_headers": ["h"] * 33}):
            with self.assertRaises(skycrate.InvalidArgumentError):
                skycrate.Provisioner(dev=True, cors_origins=["http://localhost:3000"], **bad)
        with skycrate.Provisioner(store=skycrate.UserStore.from_object(MemoryStore()), dev=True,
                                  cors_origins=["http://localhost:3000"], cors_methods=("PUT", "POST"),
                                  cors_allowed_headers=[], cors_expose_headers=["ETag"]) as p:
            self.assertEqual(p.provision("u7").state, "active")

    def test_a_store_that_raises_fails_the_call(self):
        class Broken(MemoryStore):
            def put(self, user_id, json, expected):
                raise RuntimeError("disk on fire")

        with skycrate.Provisioner(store=skycrate.UserStore.from_object(Broken()), dev=True) as p:
            with self.assertRaises(skycrate.UserCallbackError) as cm:
                p.provision("u1")
        self.assertIsInstance(cm.exception.__cause__, RuntimeError)


class LoopbackPut:
    """A PutObject endpoint on 127.0.0.1 in this process, for what a transfer's callables do
    while bytes move: it takes every PUT, remembers its body by path when it came whole (a
    request cut short stores nothing, as on S3) and answers 200 with the body's MD5 as ETag.
    Any other request fails the test."""

    def __enter__(self):
        bodies, unexpected = {}, []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_PUT(self):
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                if len(body) < length:
                    return
                bodies[urllib.parse.urlparse(self.path).path] = body
                self.send_response(200)
                self.send_header("ETag", '"%s"' % hashlib.md5(body).hexdigest())
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                unexpected.append(self.command + " " + self.path)
                self.send_error(500)

            do_POST = do_DELETE = do_HEAD = do_GET

            def log_message(self, *args):
                pass

        self.bodies, self.unexpected = bodies, unexpected
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.client = skycrate.Client("eu-west-1", "http://127.0.0.1:%d" % self.server.server_port, addressing="path",
                                      credentials=skycrate.CredentialsProvider.static(ACCESS, SECRET), retry=(1, 1, 1))
        return self

    def __exit__(self, *exc):
        self.client.close()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class Transfers(unittest.TestCase):
    DATA = bytes(range(256)) * 4096  # 1 MiB: one PutObject

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "data.bin")
        with open(self.path, "wb") as f:
            f.write(self.DATA)

    def tearDown(self):
        self.dir.cleanup()
        from skycrate import transfer

        self.assertEqual(transfer._calls, {})  # no call keeps its callables after it returns

    def test_bad_input_is_refused_before_any_request(self):
        with LoopbackPut() as s:
            c = s.client
            for kw in [dict(part_size=1), dict(part_size=6 << 30), dict(multipart_threshold=0), dict(concurrency=65),
                       dict(progress_interval_ms=0), dict(checksum="crc64"), dict(content_type="text/plain\r\nX: 1"),
                       dict(upload_id="")]:
                with self.assertRaises(skycrate.InvalidArgumentError, msg=kw):
                    c.upload("bucket", "k", self.path, **kw)
            with self.assertRaises(skycrate.InvalidArgumentError):
                c.upload("bucket", "k", self.path, length=3)  # a file is read to its end
            with self.assertRaises(skycrate.InvalidArgumentError):
                c.upload("bucket", "k", io.BytesIO(b"x"), length=-1)
            with self.assertRaises(skycrate.InvalidArgumentError):
                c.upload("bucket", None, self.path)
            with self.assertRaises(TypeError):
                c.upload("bucket", "k", 42)
            with self.assertRaises(TypeError):
                c.upload("bucket", "k", self.path, progress="50%")
            with self.assertRaises(skycrate.Error) as cm:
                c.upload("bucket", "k", os.path.join(self.dir.name, "missing"))
            self.assertEqual(cm.exception.code, errors.EIO)
            self.assertIn("missing", cm.exception.message)
            with self.assertRaises(skycrate.InvalidArgumentError):
                c.download("bucket", "k", self.path, part_size=1)
            with self.assertRaises(TypeError):  # a text stream: read() gives str
                c.upload("bucket", "k", io.StringIO("text"))
            self.assertEqual(s.bodies, {})
        c = static_client()
        c.close()
        with self.assertRaises(skycrate.InvalidArgumentError):
            c.upload("bucket", "k", self.path)

    def test_a_path_a_file_object_and_a_stream_upload_with_progress(self):
        with LoopbackPut() as s:
            calls = []

            def progress(done, total):
                calls.append((done, total, threading.get_ident()))

            r = s.client.upload("bucket", "path", self.path, progress=progress, progress_interval_ms=1)
            self.assertEqual((r.size, r.parts, r.upload_id), (len(self.DATA), 0, None))
            self.assertEqual(r.etag, '"%s"' % hashlib.md5(self.DATA).hexdigest())
            self.assertEqual(r.json["etag"], r.etag)
            self.assertEqual(calls[-1][:2], (len(self.DATA), len(self.DATA)))
            self.assertEqual({t for _, _, t in calls}, {threading.get_ident()})  # on this thread
            with open(self.path, "rb") as f:
                f.read(10)  # the file's position does not matter: it is read from its start
                s.client.upload("bucket", "fileobj", f)
            calls.clear()
            s.client.upload("bucket", "stream", io.BufferedReader(io.BytesIO(self.DATA)), progress=progress)
            self.assertEqual(calls[-1][:2], (len(self.DATA), len(self.DATA)))  # known once read: one part
            s.client.upload("bucket", "sized", io.BytesIO(self.DATA), length=len(self.DATA))
            with self.assertRaises(skycrate.InvalidArgumentError):  # it has more than announced
                s.client.upload("bucket", "short", io.BytesIO(self.DATA), length=10)

            class ReadOnly:  # read() only, no readinto()
                def __init__(self):
                    self.left = b"abc" * 1000

                def read(self, n):
                    data, self.left = self.left[:n], self.left[n:]
                    return data

            s.client.upload("bucket", "read", ReadOnly())
        self.assertEqual(s.bodies, {"/bucket/path": self.DATA, "/bucket/fileobj": self.DATA, "/bucket/stream": self.DATA,
                                    "/bucket/sized": self.DATA, "/bucket/read": b"abc" * 1000})
        self.assertEqual(s.unexpected, [])

    def test_a_true_answer_cancels(self):
        with LoopbackPut() as s:
            with self.assertRaises(skycrate.CanceledError) as cm:  # at the first call, before the PUT
                s.client.upload("bucket", "k", self.path, progress=lambda done, total: True)
        self.assertEqual(cm.exception.code, errors.ECANCELED)
        self.assertIn("cancelled", cm.exception.message)
        self.assertEqual(s.bodies, {})

    def test_an_exception_in_progress_cancels_and_is_raised(self):
        class Stop(Exception):
            pass

        def progress(done, total):
            raise Stop("enough")

        with LoopbackPut() as s:
            with self.assertRaises(Stop) as cm:
                s.client.upload("bucket", "k", self.path, progress=progress)
            self.assertIsNone(cm.exception.__context__)  # the callable's own, not the library's error
            self.assertEqual(s.bodies, {})
            # Ctrl-C while bytes move: KeyboardInterrupt surfaces in the callable, and cancels
            with self.assertRaises(KeyboardInterrupt):
                s.client.upload("bucket", "k", self.path, progress=lambda done, total: signal.raise_signal(signal.SIGINT))
            self.assertEqual(s.bodies, {})

            # The last call of a single PutObject comes after the object is stored: its answer
            # cannot cancel, but an exception it raises is never swallowed.
            def at_the_end(done, total):
                if done == total:
                    raise Stop("late")

            with self.assertRaises(Stop):
                s.client.upload("bucket", "late", self.path, progress=at_the_end)
            self.assertEqual(s.bodies, {"/bucket/late": self.DATA})
            # a callable cannot use the client that runs it (one call at a time per client)
            with self.assertRaises(skycrate.InvalidArgumentError) as cm:
                s.client.upload("bucket", "again", self.path, progress=lambda done, total: s.client.upload("bucket", "x", self.path))
            self.assertIn("another client", cm.exception.message)
            self.assertEqual(sorted(s.bodies), ["/bucket/late"])
            self.assertEqual(s.client.upload("bucket", "k", self.path).size, len(self.DATA))  # the client still works

    def test_an_exception_in_the_stream_is_raised_and_nothing_is_sent(self):
        class Broken(io.RawIOBase):
            def readable(self):
                return True

            def readinto(self, buffer):
                raise OSError(5, "device gone")

        with LoopbackPut() as s:
            with self.assertRaises(OSError) as cm:
                s.client.upload("bucket", "k", Broken())
            self.assertEqual(cm.exception.errno, 5)
        self.assertEqual(s.bodies, {})

    def test_the_callables_live_as_long_as_the_call(self):
        with LoopbackPut() as s:
            seen = []

            def make():  # a stream and a callable reachable only through the running call
                data = io.BytesIO(self.DATA)

                def progress(done, total):
                    gc.collect()
                    seen.append(done)

                return data, progress

            stream, progress = make()
            s.client.upload("bucket", "k", stream, progress=progress)
            del stream, progress
            gc.collect()
        self.assertEqual(seen[-1], len(self.DATA))
        self.assertEqual(s.bodies["/bucket/k"], self.DATA)


def signature_error(code="SignatureDoesNotMatch"):
    return "<?xml version=\"1.0\"?><Error><Code>%s</Code><Message>no</Message></Error>" % code


class Doctor(unittest.TestCase):
    def setUp(self):
        self.client = static_client(addressing="path")
        self.doctor = skycrate.Doctor(self.client)
        with skycrate.Presigner(self.client) as p:
            self.contract = p.presign("PUT", "bucket", "a.pdf", headers={"Content-Type": "application/pdf"}, time=T0)

    def tearDown(self):
        self.doctor.close()
        self.client.close()

    def diagnose(self, **kw):
        kw.setdefault("contract", self.contract)
        kw.setdefault("time", T0 + 10)
        return self.doctor.diagnose(skycrate.DoctorCase(**kw))

    def test_a_header_sent_differently(self):
        answer = skycrate.Answer(403, signature_error(), {"Content-Type": "application/xml"})
        d = self.diagnose(headers={"Content-Type": "text/plain"}, answer=answer)
        self.assertEqual((d.verdict, d.subject, d.expected, d.actual), ("header-mismatch", "content-type", "application/pdf", "text/plain"))
        self.assertEqual((d.status, d.code, d.ok), (403, "SignatureDoesNotMatch", False))
        self.assertIn("content-type", d.message)
        self.assertEqual(d.json["verdict"], "header-mismatch")
        self.assertNotIn(self.contract.url.split("X-Amz-Signature=")[1], d.message + str(d.json))
        # the contract as a presign endpoint sends it (a dict, or its text with uploadUrl)
        server = {"uploadUrl": self.contract.url, "method": "PUT", "headers": self.contract.headers}
        for contract in (server, __import__("json").dumps(server)):
            self.assertEqual(self.diagnose(contract=contract, headers={"Content-Type": "text/plain"}, answer=answer).verdict, "header-mismatch")

    def test_sent_as_signed_is_ok_and_a_url_alone_can_expire(self):
        self.assertTrue(self.diagnose(headers={"content-type": "application/pdf"}).ok)
        d = self.diagnose(contract=None, method="PUT", url=self.contract.url, headers={"Content-Type": "application/pdf"}, time=T0 + 3600,
                          answer=skycrate.Answer(403, signature_error("AccessDenied")))
        self.assertEqual((d.verdict, d.seconds), ("expired", T0 + 900))
        self.assertIn(d.verdict, skycrate.doctor.VERDICTS)

    def test_bad_input_is_refused(self):
        with self.assertRaises(skycrate.InvalidArgumentError):
            self.diagnose(contract=None)  # no URL at all
        with self.assertRaises(skycrate.Error) as cm:
            self.diagnose(contract="{")
        self.assertEqual(cm.exception.code, errors.EPARSE)
        for kw in [dict(contract={"method": "PUT"}), dict(method="PATCH", url=self.contract.url), dict(method="PUT"),
                   dict(origin="localhost:3000"), dict(answer=skycrate.Answer(42)), dict(headers={"Bad Name": "x"})]:
            with self.assertRaises(skycrate.InvalidArgumentError, msg=kw):
                self.diagnose(**kw)

    def test_a_doctor_outlives_its_client_and_a_closed_one_is_refused(self):
        self.client.close()
        self.assertEqual(self.diagnose(headers={"Content-Type": "text/csv"}).verdict, "header-mismatch")
        self.doctor.close()
        with self.assertRaises(skycrate.InvalidArgumentError):
            self.diagnose()


class Handles(unittest.TestCase):
    def test_close_is_idempotent_and_a_closed_handle_is_refused(self):
        c = static_client()
        c.close()
        c.close()
        self.assertTrue(c.closed)
        with self.assertRaises(skycrate.InvalidArgumentError):
            skycrate.Presigner(c)

    def test_a_client_outlives_its_provisioners(self):
        c = static_client()
        p = skycrate.Provisioner(c, store=skycrate.UserStore.from_object(MemoryStore()))
        with self.assertRaises(skycrate.Error):
            c.close()
        p.close()
        c.close()


class Threads(unittest.TestCase):
    def test_eight_threads_presign_with_one_presigner(self):
        with static_client() as c, skycrate.Presigner(c) as p:
            expected = {i: p.presign("PUT", "bucket", "k%d" % i, headers={"Content-Type": "text/plain"}, time=T0).url for i in range(50)}
            failures, barrier = [], threading.Barrier(8)

            def work(n):
                barrier.wait()
                for round_ in range(40):
                    for i in range(50):
                        if (i + n + round_) % 2:
                            url = p.url("PUT", "bucket", "k%d" % i, headers={"Content-Type": "text/plain"}, time=T0)
                        else:
                            url = p.presign("PUT", "bucket", "k%d" % i, headers={"Content-Type": "text/plain"}, time=T0).url
                        if url != expected[i]:
                            failures.append((n, i, url))

            threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        self.assertEqual(failures, [])


if __name__ == "__main__":
    unittest.main()
