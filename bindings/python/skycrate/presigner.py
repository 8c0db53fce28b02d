"""Presigned URLs and POST forms (skycrate/presigner.h, post_policy.h): contracts that say
exactly what the browser must send."""

import ctypes
from dataclasses import dataclass, field
from typing import Dict, Optional

from . import _native
from ._handle import Handle
from ._native import lib
from .errors import check, pairs, rendered


@dataclass(frozen=True)
class Contract:
    """A presigned request: the URL, the headers the client must send with exactly these
    values, and the real expiry (Unix seconds; `clamped` when the credentials' own expiry
    shortened it). `json` is the contract as the library renders it, for the browser."""

    method: str
    bucket: str
    key: str
    url: str
    headers: Dict[str, str]
    expires_at: int
    expires_in: int
    clamped: bool
    json: dict = field(repr=False, compare=False)
    canonical_request: Optional[str] = None  # with explain=True
    string_to_sign: Optional[str] = None

    @staticmethod
    def _from_c(ptr, explain):
        s = _native.string
        headers = pairs(lib.skycrate_presigned_header_count, lib.skycrate_presigned_header, ptr)
        canonical = to_sign = None
        if explain:
            c, t = ctypes.c_char_p(), ctypes.c_char_p()
            check(lib.skycrate_presigned_explain(ctypes.byref(c), ctypes.byref(t), ptr))
            canonical, to_sign = s(c.value), s(t.value)
        return Contract(
            s(lib.skycrate_presigned_method(ptr)),
            s(lib.skycrate_presigned_bucket(ptr)),
            s(lib.skycrate_presigned_key(ptr)),
            s(lib.skycrate_presigned_url(ptr)),
            headers,
            lib.skycrate_presigned_expires_at(ptr),
            lib.skycrate_presigned_expires_in(ptr),
            bool(lib.skycrate_presigned_clamped(ptr)),
            rendered(lib.skycrate_presigned_to_json, ptr),
            canonical,
            to_sign,
        )


@dataclass(frozen=True)
class PostForm:
    """A browser form upload (S3 POST policy): the URL to post to, the fields to send before
    the file, in this order, and the expiry; `policy` is the decoded policy document."""

    url: str
    fields: Dict[str, str]
    expires_at: int
    expires_in: int
    clamped: bool
    policy: str


class Presigner(Handle):
    """Presigns URLs and forms. Made from a client (whose settings and credentials provider it
    copies: the client may be closed afterwards). Pure computation, no I/O: one presigner may
    be used by any number of threads at once, and the library runs them in parallel (ctypes
    releases the GIL during each call)."""

    def __init__(self, client):
        out = ctypes.c_void_p()
        check(lib.skycrate_presigner_new(ctypes.byref(out), client._ptr))
        super().__init__(out, lib.skycrate_presigner_free)

    @property
    def region(self):
        return _native.string(lib.skycrate_presigner_region(self._ptr))

    def _request(self, method, bucket, key, expires, headers, query, time, upload_part):
        req = ctypes.c_void_p()
        t = _native.text
        check(lib.skycrate_presign_request_new(ctypes.byref(req), t(method), t(bucket), t(key)))
        try:
            check(lib.skycrate_presign_request_set_expires(req, expires))
            if time is not None:
                check(lib.skycrate_presign_request_set_time(req, time))
            for name, value in (headers or {}).items():
                check(lib.skycrate_presign_request_add_header(req, t(name), t(value)))
            for name, value in (query or {}).items():
                check(lib.skycrate_presign_request_add_query(req, t(name), t(value)))
            if upload_part is not None:
                check(lib.skycrate_presign_request_set_upload_part(req, t(upload_part[0]), upload_part[1]))
        except BaseException:
            lib.skycrate_presign_request_free(req)
            raise
        return req

    def presign(self, method, bucket, key, *, expires=900, headers=None, query=None, time=None, upload_part=None, explain=False):
        """A Contract for one request. `headers` are those the client will send (signed, listed
        in the contract); `query` extra parameters; `time` the signing time (Unix seconds,
        default now); `upload_part` an (upload_id, part_number) pair; `explain` adds the
        canonical request and the string to sign, to debug a 403."""
        req = self._request(method, bucket, key, expires, headers, query, time, upload_part)
        out = ctypes.c_void_p()
        try:
            check(lib.skycrate_presigner_sign(ctypes.byref(out), self._ptr, req))
            return Contract._from_c(out, explain)
        finally:
            lib.skycrate_presigned_free(out)
            lib.skycrate_presign_request_free(req)

    def url(self, method, bucket, key, *, expires=900, headers=None, query=None, time=None):
        """Only the URL, through the library's allocation-free fast path."""
        req = self._request(method, bucket, key, expires, headers, query, time, None)
        try:
            cap = 4096
            while True:
                buf = ctypes.create_string_buffer(cap)
                length = ctypes.c_size_t()
                rc = lib.skycrate_presigner_sign_url(buf, cap, ctypes.byref(length), self._ptr, req)
                if rc == 0:
                    return buf.value.decode("utf-8")
                if length.value < cap:  # not a size problem
                    check(rc)
                cap = length.value + 1
        finally:
            lib.skycrate_presign_request_free(req)

    def sign_parts(self, bucket, key, upload_id, count, *, first_part=1, expires=900):
        """Contracts for `count` UploadPart requests, numbered from `first_part`."""
        array = (ctypes.c_void_p * count)()
        t = _native.text
        check(lib.skycrate_presigner_sign_parts(array, count, self._ptr, t(bucket), t(key), t(upload_id), first_part, expires))
        try:
            return [Contract._from_c(array[i], False) for i in range(count)]
        finally:
            for i in range(count):
                lib.skycrate_presigned_free(array[i])

    def post_form(self, bucket, *, key=None, key_prefix=None, content_length_range=None, content_type=None, content_type_prefix=None, success_action_status=None, fields=None, expires=900, time=None):
        """A PostForm for a browser form upload: the object's key (or a prefix the form may
        choose under), size limits as (min, max) bytes, the content type (or its prefix),
        extra fields."""
        policy = ctypes.c_void_p()
        t = _native.text
        check(lib.skycrate_post_policy_new(ctypes.byref(policy), t(bucket)))
        form = ctypes.c_void_p()
        try:
            if key is not None:
                check(lib.skycrate_post_policy_set_key(policy, t(key)))
            if key_prefix is not None:
                check(lib.skycrate_post_policy_set_key_prefix(policy, t(key_prefix)))
            if content_length_range is not None:
                check(lib.skycrate_post_policy_set_content_length_range(policy, *content_length_range))
            if content_type is not None:
                check(lib.skycrate_post_policy_set_content_type(policy, t(content_type)))
            if content_type_prefix is not None:
                check(lib.skycrate_post_policy_set_content_type_prefix(policy, t(content_type_prefix)))
            if success_action_status is not None:
                check(lib.skycrate_post_policy_set_success_action_status(policy, success_action_status))
            for name, value in (fields or {}).items():
                check(lib.skycrate_post_policy_add_field(policy, t(name), t(value)))
            check(lib.skycrate_post_policy_set_expires(policy, expires))
            if time is not None:
                check(lib.skycrate_post_policy_set_time(policy, time))
            check(lib.skycrate_presigner_sign_post(ctypes.byref(form), self._ptr, policy))
            return _post_form(form)
        finally:
            lib.skycrate_post_form_free(form)
            lib.skycrate_post_policy_free(policy)


def _post_form(ptr):
    s = _native.string
    fields = pairs(lib.skycrate_post_form_field_count, lib.skycrate_post_form_field, ptr)
    return PostForm(
        s(lib.skycrate_post_form_url(ptr)),
        fields,
        lib.skycrate_post_form_expires_at(ptr),
        lib.skycrate_post_form_expires_in(ptr),
        bool(lib.skycrate_post_form_clamped(ptr)),
        s(lib.skycrate_post_form_policy(ptr)),
    )


def upload_key(user_id, filename, prefix=None):
    """A safe object key for an untrusted file name: ``uploads/<user>/<uuid>-<name>``."""
    out = ctypes.c_void_p()
    t = _native.text
    check(lib.skycrate_upload_key(ctypes.byref(out), t(prefix), t(user_id), t(filename)))
    return _native.take_string(out)
