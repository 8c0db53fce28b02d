"""The life of a C handle in Python: released by close(), by ``with``, or by the garbage
collector (a finalizer), exactly once, and never used after."""

import ctypes
import weakref

from .errors import EINVAL, error


class Handle:
    """Owns one C handle and the function that releases it. Objects that the C handle borrows
    (a provisioner borrows its client) are kept in ``_keep`` until it is released."""

    def __init__(self, ptr, release, keep=()):
        self._address = ptr.value if isinstance(ptr, ctypes.c_void_p) else ptr
        self._keep = list(keep)
        self._finalizer = weakref.finalize(self, release, self._address)

    @property
    def _ptr(self):
        if not self._finalizer.alive:
            raise error(EINVAL, "%s is closed" % type(self).__name__)
        return self._address

    @property
    def closed(self):
        return not self._finalizer.alive

    def close(self):
        """Releases the C handle now (later calls raise; closing twice does nothing)."""
        self._finalizer()
        self._keep = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
