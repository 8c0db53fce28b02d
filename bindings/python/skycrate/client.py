"""The S3 client (skycrate/client.h, objects.h, buckets.h, multipart.h; transfer.h through
the transfer module)."""

import ctypes
import threading
import weakref
from dataclasses import dataclass
from typing import Optional

from . import _native, transfer
from ._handle import Handle
from ._native import lib
from .errors import EINVAL, check, choice, error, response_info

ADDRESSING = {"auto": 0, "virtual": 1, "path": 2}


@dataclass(frozen=True)
class ObjectInfo:
    """What S3 said about an object (skycrate_object_info)."""

    key: Optional[str]
    etag: Optional[str]
    size: int
    last_modified: int
    content_type: Optional[str]
    version_id: Optional[str]
    storage_class: Optional[str]

    @staticmethod
    def _from_c(ptr):
        s = _native.string
        return ObjectInfo(
            s(lib.skycrate_object_info_key(ptr)),
            s(lib.skycrate_object_info_etag(ptr)),
            lib.skycrate_object_info_size(ptr),
            lib.skycrate_object_info_last_modified(ptr),
            s(lib.skycrate_object_info_content_type(ptr)),
            s(lib.skycrate_object_info_version_id(ptr)),
            s(lib.skycrate_object_info_storage_class(ptr)),
        )


def _config(region, endpoint, allow_http, addressing, timeouts, retry, user_agent_suffix, ca, credentials):
    """A C client configuration from the keyword arguments of Client (the caller frees it)."""
    cfg = ctypes.c_void_p()
    check(lib.skycrate_client_config_new(ctypes.byref(cfg)))
    t = _native.text
    try:
        if region is not None:
            check(lib.skycrate_client_config_set_region(cfg, t(region)))
        if endpoint is not None:
            check(lib.skycrate_client_config_set_endpoint(cfg, t(endpoint)))
        if allow_http is None:
            allow_http = endpoint is not None and endpoint.startswith("http://")
        check(lib.skycrate_client_config_set_allow_http(cfg, int(bool(allow_http))))
        check(lib.skycrate_client_config_set_addressing(cfg, choice(ADDRESSING, addressing, "addressing")))
        if timeouts is not None:
            check(lib.skycrate_client_config_set_timeouts(cfg, *timeouts))
        if retry is not None:
            check(lib.skycrate_client_config_set_retry(cfg, *retry))
        if user_agent_suffix is not None:
            check(lib.skycrate_client_config_set_user_agent_suffix(cfg, t(user_agent_suffix)))
        if ca is not None:
            check(lib.skycrate_client_config_set_ca(cfg, t(ca[0]), t(ca[1])))
        if credentials is not None:
            check(lib.skycrate_client_config_set_credentials_provider(cfg, credentials._ptr))
    except BaseException:
        lib.skycrate_client_config_free(cfg)
        raise
    return cfg


class Client(Handle):
    """An S3 client: region, endpoint, addressing, credentials, retries.

    The C client is used by one thread at a time; this object takes a lock around each call,
    so Python threads may share it (they then wait for each other). Presigners and provisioners
    are made from it; a provisioner borrows it, so the client cannot be closed before them.
    """

    def __init__(
        self,
        region=None,
        endpoint=None,
        *,
        allow_http=None,
        addressing="auto",
        credentials=None,
        timeouts=None,
        retry=None,
        user_agent_suffix=None,
        ca=None,
    ):
        """`credentials` is a CredentialsProvider (default: the AWS chain); `timeouts` is
        (connect_ms, request_ms); `retry` is (max_attempts, base_delay_ms, max_delay_ms); `ca`
        is (ca_file, ca_path). Plain http is allowed by default for an http:// endpoint."""
        cfg = _config(region, endpoint, allow_http, addressing, timeouts, retry, user_agent_suffix, ca, credentials)
        out = ctypes.c_void_p()
        try:
            check(lib.skycrate_client_new(ctypes.byref(out), cfg))
        finally:
            lib.skycrate_client_config_free(cfg)
        super().__init__(out, lib.skycrate_client_free)
        self._lock = threading.RLock()
        self._running = False
        self._borrowers = weakref.WeakSet()

    def close(self):
        """Frees the client. Refused while a provisioner made from it is open."""
        if any(not b.closed for b in self._borrowers):
            raise error(EINVAL, "the client is still used by a provisioner: close that first")
        super().close()

    def _call(self, fn, *args):
        """One library call on this client, under its lock; errors carry its last answer. The
        Python callables that a call runs (a transfer's progress) cannot use the client."""
        with self._lock:
            if self._running:
                raise error(EINVAL, "the client is running a call on this thread: a callable it runs must use another client")
            self._running = True
            try:
                rc = fn(*args)
            finally:
                self._running = False
            return check(rc, self._ptr)

    @property
    def region(self):
        return _native.string(lib.skycrate_client_region(self._ptr))

    @property
    def clock_offset(self):
        """Seconds the server's clock is ahead of ours, as learned from its answers or set.

        Setting it (at most ten years either way) makes the client's requests and every
        presigner made from it sign with the local clock plus this offset, until a server's
        answer teaches another one.
        """
        return lib.skycrate_client_clock_offset(self._ptr)

    @clock_offset.setter
    def clock_offset(self, seconds):
        check(lib.skycrate_client_set_clock_offset(self._ptr, int(seconds)), self._ptr)

    @property
    def last_response(self):
        """The S3 details of the last answer (a ResponseInfo)."""
        with self._lock:
            return response_info(lib.skycrate_client_last_response(self._ptr))

    # objects

    def put_object(self, bucket, key, data, content_type=None):
        if isinstance(data, str):
            data = data.encode("utf-8")
        info = ctypes.c_void_p()
        t = _native.text
        self._call(lib.skycrate_object_put, ctypes.byref(info), self._ptr, t(bucket), t(key), data, len(data), t(content_type))
        return _take_info(info)

    def put_file(self, bucket, key, path, content_type=None):
        info = ctypes.c_void_p()
        t = _native.text
        self._call(lib.skycrate_object_put_file, ctypes.byref(info), self._ptr, t(bucket), t(key), t(path), t(content_type))
        return _take_info(info)

    def get_object(self, bucket, key):
        data, length = ctypes.c_void_p(), ctypes.c_size_t()
        t = _native.text
        self._call(lib.skycrate_object_get, ctypes.byref(data), ctypes.byref(length), self._ptr, t(bucket), t(key))
        try:
            return ctypes.string_at(data, length.value) if length.value else b""
        finally:
            lib.skycrate_free(data)

    def get_file(self, bucket, key, path):
        t = _native.text
        self._call(lib.skycrate_object_get_file, self._ptr, t(bucket), t(key), t(path))

    def head_object(self, bucket, key):
        info = ctypes.c_void_p()
        t = _native.text
        self._call(lib.skycrate_object_head, ctypes.byref(info), self._ptr, t(bucket), t(key))
        return _take_info(info)

    def delete_object(self, bucket, key):
        self._call(lib.skycrate_object_delete, self._ptr, _native.text(bucket), _native.text(key))

    def list_objects(self, bucket, prefix=None, max_keys=0):
        """Every object under `prefix`, page by page (ListObjectsV2), as ObjectInfo."""
        token = None
        while True:
            page = ctypes.c_void_p()
            t = _native.text
            self._call(lib.skycrate_object_list, ctypes.byref(page), self._ptr, t(bucket), t(prefix), t(token), max_keys)
            try:
                entries = [
                    ObjectInfo._from_c(lib.skycrate_object_page_entry(page, i))
                    for i in range(lib.skycrate_object_page_count(page))
                ]
                token = _native.string(lib.skycrate_object_page_next_token(page))
            finally:
                lib.skycrate_object_page_free(page)
            yield from entries
            if not token:
                return

    # buckets

    def create_bucket(self, bucket):
        self._call(lib.skycrate_bucket_create, self._ptr, _native.text(bucket))

    def head_bucket(self, bucket):
        self._call(lib.skycrate_bucket_head, self._ptr, _native.text(bucket))

    def delete_bucket(self, bucket):
        self._call(lib.skycrate_bucket_delete, self._ptr, _native.text(bucket))

    # multipart uploads (the parts are presigned: Presigner.sign_parts)

    def create_multipart_upload(self, bucket, key, content_type=None):
        out = ctypes.c_void_p()
        t = _native.text
        self._call(lib.skycrate_multipart_create, ctypes.byref(out), self._ptr, t(bucket), t(key), t(content_type))
        return _native.take_string(out)

    def complete_multipart_upload(self, bucket, key, upload_id, parts):
        """`parts`: (part_number, etag) pairs. Returns the object's ETag."""
        numbers = (ctypes.c_uint32 * len(parts))(*[n for n, _ in parts])
        etags = (ctypes.c_char_p * len(parts))(*[_native.text(e) for _, e in parts])
        out = ctypes.c_void_p()
        t = _native.text
        self._call(lib.skycrate_multipart_complete, ctypes.byref(out), self._ptr, t(bucket), t(key), t(upload_id), numbers, etags, len(parts))
        return _native.take_string(out)

    def abort_multipart_upload(self, bucket, key, upload_id):
        t = _native.text
        self._call(lib.skycrate_multipart_abort, self._ptr, t(bucket), t(key), t(upload_id))

    # transfers (skycrate/transfer.h): objects of any size, with progress and cancel

    upload = transfer.upload
    download = transfer.download


def _take_info(ptr):
    if not ptr:
        return None
    try:
        return ObjectInfo._from_c(ptr)
    finally:
        lib.skycrate_object_info_free(ptr)
