"""Credentials and their providers (skycrate/credentials.h): the AWS chain, the environment,
static keys, chains, caching, and any Python callable as a provider."""

import ctypes
import itertools
import threading
from dataclasses import dataclass, field
from typing import Optional

from . import _native
from ._handle import Handle
from ._native import lib
from .errors import EUSER, Error, check, remember_callback_exception


@dataclass(frozen=True)
class Credentials:
    """An access key, its secret, an optional session token and an optional expiry (Unix
    seconds). The secret and the token never appear in repr()."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: Optional[str] = field(default=None, repr=False)
    expiration: Optional[int] = None

    def _new_c(self):
        """A new C credentials object (one reference, the caller's)."""
        out = ctypes.c_void_p()
        check(
            lib.skycrate_credentials_new(
                ctypes.byref(out),
                _native.text(self.access_key_id),
                _native.text(self.secret_access_key),
                _native.text(self.session_token),
                self.expiration or 0,
            )
        )
        return out

    @staticmethod
    def _from_c(ptr):
        expiration = lib.skycrate_credentials_expiration(ptr)
        return Credentials(
            _native.string(lib.skycrate_credentials_access_key_id(ptr)),
            _native.string(lib.skycrate_credentials_secret_access_key(ptr)),
            _native.string(lib.skycrate_credentials_session_token(ptr)),
            expiration or None,
        )


# Python callables behind C providers, by the id passed as user_data. The provider's `free`
# callback removes its entry: the callable lives exactly as long as the C provider does, even
# when a client still holds the provider after the Python object is gone.
_callables = {}
_ids = itertools.count(1)
_lock = threading.Lock()


def _get_trampoline(out, user_data):
    try:
        fn = _callables[user_data]
        creds = fn()
        if isinstance(creds, tuple):
            creds = Credentials(*creds)
        out[0] = creds._new_c().value
        return 0
    except Error as e:
        lib.skycrate_error_set_str(e.code, _native.text(e.message or str(e)))
        return e.code
    except BaseException as e:  # noqa: B036 - every exception must stop at the C boundary
        remember_callback_exception(e)
        lib.skycrate_error_set_str(EUSER, _native.text("credentials callable raised %s" % type(e).__name__))
        return EUSER


def _free_trampoline(user_data):
    with _lock:
        _callables.pop(user_data, None)


_GET = _native.CREDENTIALS_GET_FN(_get_trampoline)
_FREE = _native.FREE_FN(_free_trampoline)


class CredentialsProvider(Handle):
    """A reference to a C credentials provider. Make one with the class methods; a client made
    with it keeps its own reference."""

    def __init__(self, ptr):
        super().__init__(ptr, lib.skycrate_credentials_provider_unref)

    @classmethod
    def _make(cls, fn, *args):
        out = ctypes.c_void_p()
        check(fn(ctypes.byref(out), *args))
        return cls(out)

    @classmethod
    def default(cls, profile=None):
        """The AWS chain: environment, profile files, web identity, container, IMDSv2."""
        return cls._make(lib.skycrate_credentials_provider_new_default, _native.text(profile))

    @classmethod
    def env(cls):
        """AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN."""
        return cls._make(lib.skycrate_credentials_provider_new_env)

    @classmethod
    def static(cls, access_key_id, secret_access_key, session_token=None):
        creds = Credentials(access_key_id, secret_access_key, session_token)._new_c()
        try:
            return cls._make(lib.skycrate_credentials_provider_new_static, creds)
        finally:
            lib.skycrate_credentials_unref(creds)

    @classmethod
    def from_callable(cls, fn, name="python"):
        """A provider that calls ``fn()`` for credentials: it returns a Credentials (or a tuple
        of its fields) or raises. It may be called from any thread that uses a client or
        presigner made with this provider; wrap it with cached() when it is slow."""
        with _lock:
            key = next(_ids)
            _callables[key] = fn
        table = _native.CredentialsProviderCallbacks()
        check(lib.skycrate_credentials_provider_callbacks_init(ctypes.byref(table), 1))
        table.get, table.free, table.user_data, table.name = _GET, _FREE, key, _native.text(name)
        out = ctypes.c_void_p()
        rc = lib.skycrate_credentials_provider_new(ctypes.byref(out), ctypes.byref(table))
        if rc < 0:
            _free_trampoline(key)  # not called by the library when _new fails
        check(rc)
        return cls(out)

    @classmethod
    def chain(cls, providers):
        """The first of `providers` that has credentials."""
        array = (ctypes.c_void_p * len(providers))(*[p._ptr for p in providers])
        return cls._make(lib.skycrate_credentials_provider_new_chain, array, len(providers))

    @classmethod
    def cached(cls, inner, refresh_ahead_seconds=0):
        """`inner`'s credentials, kept until shortly before they expire."""
        return cls._make(lib.skycrate_credentials_provider_new_cached, inner._ptr, refresh_ahead_seconds)

    @property
    def name(self):
        return _native.string(lib.skycrate_credentials_provider_name(self._ptr))

    def get(self):
        """Asks the provider for credentials now."""
        out = ctypes.c_void_p()
        check(lib.skycrate_credentials_provider_get(ctypes.byref(out), self._ptr))
        try:
            return Credentials._from_c(out)
        finally:
            lib.skycrate_credentials_unref(out)
