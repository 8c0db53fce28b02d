"""User stores (skycrate/store.h, store_pg.h): where the provisioner keeps one record per user.
The JSON file, PostgreSQL (libskycrate-pg), or any Python object with get/put/remove."""

import ctypes
import itertools
import threading

from . import _native
from ._handle import Handle
from ._native import lib
from .errors import ECONFLICT, ENOTFOUND, EUSER, Error, check, remember_callback_exception


class UserStore(Handle):
    """A reference to a C user store; a provisioner made with it keeps its own reference."""

    def __init__(self, ptr):
        super().__init__(ptr, lib.skycrate_user_store_unref)

    @classmethod
    def file(cls, path="users.json", lock_timeout_ms=0):
        """The JSON-file store (atomic writes under an advisory lock; one host)."""
        out = ctypes.c_void_p()
        check(lib.skycrate_user_store_new_file(ctypes.byref(out), _native.text(path), lock_timeout_ms))
        return cls(out)

    @classmethod
    def postgresql(cls, conninfo, table=None):
        """The PostgreSQL store (libskycrate-pg): records as jsonb, compare-and-swap writes,
        for many app servers. `conninfo` is a libpq connection string or URI."""
        out = ctypes.c_void_p()
        t = _native.text
        check(_native.pg().skycrate_user_store_new_postgresql(ctypes.byref(out), t(conninfo), t(table)))
        return cls(out)

    @classmethod
    def from_object(cls, store):
        """A store backed by a Python object with three methods, called from any thread that
        provisions with it (make them thread-safe):

        - ``get(user_id)`` -> the record's JSON text, or None when there is none;
        - ``put(user_id, json, expected)`` -> True when written, False when the stored record
          is not `expected` (a text get returned, or None for "must not exist"): compare and
          write in one atomic step;
        - ``remove(user_id, expected)`` -> True when removed, False when the record is not
          `expected`, None when there is none (`expected` None: remove whatever is stored).

        Raising NotFoundError or ConflictError works too; any other exception fails the
        library's call with UserCallbackError, whose ``__cause__`` it is."""
        with _lock:
            key = next(_ids)
            _objects[key] = store
        table = _native.UserStoreCallbacks()
        check(lib.skycrate_user_store_callbacks_init(ctypes.byref(table), 1))
        table.get, table.put, table.remove, table.free = _GET, _PUT, _REMOVE, _FREE
        table.user_data = key
        out = ctypes.c_void_p()
        rc = lib.skycrate_user_store_new(ctypes.byref(out), ctypes.byref(table))
        if rc < 0:
            _free(key)
        check(rc)
        return cls(out)

    def get(self, user_id):
        """The record's JSON text; NotFoundError when there is none."""
        out = ctypes.c_void_p()
        check(lib.skycrate_user_store_get(ctypes.byref(out), self._ptr, _native.text(user_id)))
        return _native.take_string(out)

    def put(self, user_id, json, expected=None):
        """Writes if the stored record is still `expected`; ConflictError otherwise."""
        t = _native.text
        check(lib.skycrate_user_store_put(self._ptr, t(user_id), t(json), t(expected)))

    def remove(self, user_id, expected=None):
        t = _native.text
        check(lib.skycrate_user_store_remove(self._ptr, t(user_id), t(expected)))


# Python stores by the id passed as user_data; the C store's `free` removes the entry.
_objects = {}
_ids = itertools.count(1)
_lock = threading.Lock()


def _free(user_data):
    with _lock:
        _objects.pop(user_data, None)


def _guard(what, fn):
    """Runs a store method at the C boundary: exceptions become codes."""
    try:
        return fn()
    except Error as e:
        lib.skycrate_error_set_str(e.code, _native.text(e.message or str(e)))
        return e.code
    except BaseException as e:  # noqa: B036 - every exception must stop at the C boundary
        remember_callback_exception(e)
        lib.skycrate_error_set_str(EUSER, _native.text("user store %s raised %s" % (what, type(e).__name__)))
        return EUSER


def _get(value, user_id, flags, user_data):
    def call():
        text = _objects[user_data].get(_native.string(user_id))
        if text is None:
            lib.skycrate_error_set_str(ENOTFOUND, b"no record")
            return ENOTFOUND
        data = _native.text(text)
        return lib.skycrate_user_store_value_set(value, data, len(data))

    return _guard("get", call)


def _put(user_id, json, expected, flags, user_data):
    def call():
        s = _native.string
        if _objects[user_data].put(s(user_id), s(json), s(expected)):
            return 0
        lib.skycrate_error_set_str(ECONFLICT, b"the record changed")
        return ECONFLICT

    return _guard("put", call)


def _remove(user_id, expected, flags, user_data):
    def call():
        s = _native.string
        done = _objects[user_data].remove(s(user_id), s(expected))
        if done is None:
            lib.skycrate_error_set_str(ENOTFOUND, b"no record")
            return ENOTFOUND
        if not done:
            lib.skycrate_error_set_str(ECONFLICT, b"the record changed")
            return ECONFLICT
        return 0

    return _guard("remove", call)


_GET = _native.STORE_GET_FN(_get)
_PUT = _native.STORE_PUT_FN(_put)
_REMOVE = _native.STORE_REMOVE_FN(_remove)
_FREE = _native.FREE_FN(_free)
