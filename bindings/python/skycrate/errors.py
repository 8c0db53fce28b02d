"""Library errors as exceptions: the code, the message, and the S3 details of the client's
last answer when a client call failed."""

import ctypes
import json
import threading
from dataclasses import dataclass

from . import _native
from ._native import lib

# skycrate_error_code (skycrate/errors.h): fixed values.
OK, ERROR, ENOMEM, EINVAL, ENOTFOUND, EEXISTS, EAUTH, EHTTP = 0, -1, -2, -3, -4, -5, -6, -7
ETLS, ETIMEOUT, EPARSE, EUSER, EACCESS, ESIGNATURE, EEXPIRED = -8, -9, -10, -11, -12, -13, -14
ESKEW, ENOTIMPL, ETHROTTLED, ECONNECT, ECONFLICT, EIO, EREGION = -15, -16, -17, -18, -19, -20, -21
ECANCELED = -22


@dataclass(frozen=True)
class ResponseInfo:
    """What the server answered to a client's last request (skycrate_response_info)."""

    http_status: int
    s3_code: str
    s3_message: str
    request_id: str
    host_id: str
    region: str
    string_to_sign: str
    canonical_request: str
    attempts: int


class Error(Exception):
    """A libskycrate error: ``code`` (a negative skycrate_error_code), ``message``, and for
    client calls ``response``, the S3 details of the answer (or None)."""

    def __init__(self, code, message, response=None):
        super().__init__(message or _native.string(lib.skycrate_strerror(code)))
        self.code = code
        self.message = message
        self.response = response

    def __str__(self):
        text = self.message or _native.string(lib.skycrate_strerror(self.code))
        r = self.response
        if r and r.http_status:
            text += " (HTTP %d%s%s)" % (
                r.http_status,
                " " + r.s3_code if r.s3_code else "",
                ", request id " + r.request_id if r.request_id else "",
            )
        return text


class InvalidArgumentError(Error, ValueError):
    """SKYCRATE_EINVAL."""


class NotFoundError(Error, LookupError):
    """SKYCRATE_ENOTFOUND: no such bucket, key, record."""


class ExistsError(Error):
    """SKYCRATE_EEXISTS."""


class ConflictError(Error):
    """SKYCRATE_ECONFLICT: a record changed under a write, a bucket not empty."""


class AccessDeniedError(Error, PermissionError):
    """SKYCRATE_EACCESS."""


class SignatureError(Error):
    """SKYCRATE_ESIGNATURE: the server computed another signature."""


class AuthError(Error):
    """SKYCRATE_EAUTH: no usable credentials, or an unknown access key."""


class ConnectError(Error, ConnectionError):
    """SKYCRATE_ECONNECT: the server (S3, or the user store's database) cannot be reached."""


class TimeoutError_(Error, TimeoutError):
    """SKYCRATE_ETIMEOUT."""


class UserCallbackError(Error):
    """SKYCRATE_EUSER: a Python callback (credentials provider, user store) raised; the
    exception it raised is the ``__cause__``."""


class CanceledError(Error):
    """SKYCRATE_ECANCELED: a transfer stopped because its progress callable returned true."""


_CLASSES = {
    EINVAL: InvalidArgumentError,
    ENOTFOUND: NotFoundError,
    EEXISTS: ExistsError,
    ECONFLICT: ConflictError,
    EACCESS: AccessDeniedError,
    ESIGNATURE: SignatureError,
    EAUTH: AuthError,
    ECONNECT: ConnectError,
    ETIMEOUT: TimeoutError_,
    EUSER: UserCallbackError,
    ECANCELED: CanceledError,
}

# The exception a Python callback raised on this thread, for the error the call returns.
_pending = threading.local()


def remember_callback_exception(exc):
    _pending.exc = exc


def response_info(ptr):
    """Copies a skycrate_response_info (pointer) into a ResponseInfo."""
    r = ptr.contents
    s = _native.string
    return ResponseInfo(
        r.http_status,
        s(r.s3_code) or "",
        s(r.s3_message) or "",
        s(r.request_id) or "",
        s(r.host_id) or "",
        s(r.region) or "",
        s(r.string_to_sign) or "",
        s(r.canonical_request) or "",
        r.attempts,
    )


def error(code, message):
    """The exception class of `code`, with `message`."""
    return _CLASSES.get(code, Error)(code, message)


def choice(table, value, what):
    """``table[value]`` for a keyword argument that names one of a few options; an
    InvalidArgumentError that lists them otherwise."""
    if value not in table:
        raise error(EINVAL, "%s is one of %s" % (what, ", ".join(str(k) for k in table)))
    return table[value]


def make_error(code, client=None):
    """The exception for `code`, with the thread's last message (and `client`'s last answer)."""
    last = lib.skycrate_error_last().contents
    message = _native.string(last.message) if last.code == code else None
    response = response_info(lib.skycrate_client_last_response(client)) if client else None
    exc = _CLASSES.get(code, Error)(code, message, response)
    cause = getattr(_pending, "exc", None)
    _pending.exc = None
    if cause is not None:
        exc.__cause__ = cause
    return exc


def check(rc, client=None):
    """Raises the error of a call that returned a negative code; returns `rc` otherwise."""
    if rc < 0:
        raise make_error(rc, client)
    _pending.exc = None
    return rc


def rendered(render, ptr):
    """What a ``_to_json(char **out, obj, flags)`` function renders, as Python data."""
    out = ctypes.c_void_p()
    check(render(ctypes.byref(out), ptr, 0))
    return json.loads(_native.take_string(out))


def pairs(count, get, ptr):
    """The (name, value) pairs of an object with ``count(ptr)`` and ``get(&name, &value, ptr,
    i)`` accessors, as a dict."""
    out = {}
    for i in range(count(ptr)):
        name, value = ctypes.c_char_p(), ctypes.c_char_p()
        check(get(ctypes.byref(name), ctypes.byref(value), ptr, i))
        out[_native.string(name.value)] = _native.string(value.value)
    return out
