"""Unit tests of the Python binding against the built library (no network): loading, errors
as exceptions, presigning (checked against botocore), credentials from Python callables, user
stores in Python, dev-mode provisioning, handle lifetimes, eight presigning threads."""

import gc
import os
import subprocess
import sys
import tempfile
import threading
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

    def test_a_store_that_raises_fails_the_call(self):
        class Broken(MemoryStore):
            def put(self, user_id, json, expected):
                raise RuntimeError("disk on fire")

        with skycrate.Provisioner(store=skycrate.UserStore.from_object(Broken()), dev=True) as p:
            with self.assertRaises(skycrate.UserCallbackError) as cm:
                p.provision("u1")
        self.assertIsInstance(cm.exception.__cause__, RuntimeError)


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
