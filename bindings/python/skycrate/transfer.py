"""Transfers (skycrate/transfer.h): objects of any size between S3 and a path, a file object or
a Python stream, as parallel multipart uploads and ranged downloads, with progress and cancel.
Bound as Client.upload() and Client.download()."""

import ctypes
import itertools
import os
import threading
from dataclasses import dataclass, field
from typing import Optional

from . import _native
from ._native import lib
from .errors import EINVAL, EUSER, Error, check, choice, error, rendered

CHECKSUMS = {"none": 0, "md5": 1, "crc32c": 2, "sha256": 3}
SIZE_UNKNOWN = (1 << 64) - 1  # SKYCRATE_TRANSFER_SIZE_UNKNOWN


@dataclass(frozen=True)
class TransferResult:
    """What a transfer did: the object's ETag (quoted, as S3 sends it), the bytes moved, the
    parts or ranges (0 for one request), the parts a resumed upload found already uploaded, and
    the multipart upload id (None for one PutObject and for downloads)."""

    etag: str
    size: int
    parts: int
    parts_reused: int
    upload_id: Optional[str]
    json: dict = field(repr=False, compare=False)

    @staticmethod
    def _from_c(ptr):
        s = _native.string
        return TransferResult(
            s(lib.skycrate_transfer_result_etag(ptr)),
            lib.skycrate_transfer_result_size(ptr),
            lib.skycrate_transfer_result_part_count(ptr),
            lib.skycrate_transfer_result_parts_reused(ptr),
            s(lib.skycrate_transfer_result_upload_id(ptr)) or None,
            rendered(lib.skycrate_transfer_result_to_json, ptr),
        )


class _Call:
    """The Python side of one running transfer: the progress callable, the source stream, and
    the first exception either raised. Exceptions never cross the C boundary: the callback
    returns a code that stops the transfer, and the transfer raises the exception once the
    library has returned (and aborted what it started)."""

    def __init__(self, progress, stream=None):
        if progress is not None and not callable(progress):
            raise TypeError("progress must be a callable(done, total), not %s" % type(progress).__name__)
        self.progress, self.stream, self.exception = progress, stream, None

    def failed(self, exc, what):
        if self.exception is None:
            self.exception = exc
        lib.skycrate_error_set_str(EUSER, _native.text("the %s raised %s" % (what, type(exc).__name__)))
        return EUSER


# Running transfers by the id passed as user_data: a call stays here (and so do its callable
# and stream) until the library has returned.
_calls = {}
_ids = itertools.count(1)
_lock = threading.Lock()


def _progress(done, total, user_data):
    call = _calls[user_data]
    try:
        return 1 if call.progress(done, None if total == SIZE_UNKNOWN else total) else 0
    except BaseException as e:  # noqa: B036 - every exception must stop at the C boundary
        return call.failed(e, "progress callable")


def _fill(stream, buf, capacity):
    """Reads up to `capacity` bytes of `stream` into the C buffer at `buf`; 0 at the end."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        with memoryview((ctypes.c_ubyte * capacity).from_address(buf)).cast("B") as view:
            n = readinto(view)
        if n is None:
            raise BlockingIOError("the stream has no data yet: a non-blocking stream cannot be uploaded")
        return n
    data = stream.read(capacity)
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("the stream's read() must return bytes (open it in binary mode), not %s" % type(data).__name__)
    if len(data) > capacity:
        raise ValueError("the stream's read(%d) returned %d bytes" % (capacity, len(data)))
    ctypes.memmove(buf, bytes(data), len(data))
    return len(data)


def _read(nread_out, buf, capacity, user_data):
    call = _calls[user_data]
    try:
        nread_out[0] = _fill(call.stream, buf, capacity)
        return 0
    except BaseException as e:  # noqa: B036 - every exception must stop at the C boundary
        return call.failed(e, "stream")


_PROGRESS = _native.PROGRESS_FN(_progress)
_READ = _native.READ_FN(_read)


def _configure(opts, call, user_data, part_size, multipart_threshold, concurrency, checksum, content_type, upload_id, progress_interval_ms):
    if part_size is not None:
        check(lib.skycrate_transfer_options_set_part_size(opts, part_size))
    if multipart_threshold is not None:
        check(lib.skycrate_transfer_options_set_multipart_threshold(opts, multipart_threshold))
    if concurrency is not None:
        check(lib.skycrate_transfer_options_set_concurrency(opts, concurrency))
    if checksum is not None:
        check(lib.skycrate_transfer_options_set_checksum(opts, choice(CHECKSUMS, checksum, "checksum")))
    if content_type is not None:
        check(lib.skycrate_transfer_options_set_content_type(opts, _native.text(content_type)))
    if upload_id is not None:
        check(lib.skycrate_transfer_options_set_upload_id(opts, _native.text(upload_id)))
    if progress_interval_ms is not None:
        check(lib.skycrate_transfer_options_set_progress_interval(opts, progress_interval_ms))
    if call.progress is not None:
        check(lib.skycrate_transfer_options_set_progress(opts, _PROGRESS, user_data))


def _run(client, call, settings, invoke):
    """Runs ``invoke(&result, client, options, user_data)`` on `client` (under its lock) with
    options made from `settings`, `call` registered under user_data meanwhile. Raises what a
    callable raised, else the library's error; returns a TransferResult."""
    with _lock:
        user_data = next(_ids)
        _calls[user_data] = call
    opts, result = ctypes.c_void_p(), ctypes.c_void_p()
    try:
        check(lib.skycrate_transfer_options_new(ctypes.byref(opts)))
        _configure(opts, call, user_data, **settings)
        client._call(invoke, ctypes.byref(result), client._ptr, opts, user_data)
    except Error:
        if call.exception is None:
            raise
    finally:
        lib.skycrate_transfer_options_free(opts)
        with _lock:
            del _calls[user_data]
    try:
        if call.exception is not None:  # raised here, outside the handler: no library context
            raise call.exception
        return TransferResult._from_c(result)
    finally:
        lib.skycrate_transfer_result_free(result)


def _fileno(source):
    try:
        return source.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last
        return None


def upload(client, bucket, key, source, *, length=None, content_type=None, progress=None, progress_interval_ms=None, part_size=None, multipart_threshold=None, concurrency=None, checksum=None, upload_id=None):
    """Uploads `source` to `bucket`/`key`: one PutObject below the multipart threshold (16 MiB),
    else a multipart upload whose parts (a sixteenth of a file, 8 to 64 MiB; 8 MiB of a stream;
    each checksummed and retried alone) go in
    parallel over the client's lanes. A failure or a cancel aborts the multipart upload, so
    none is left unfinished. Returns a TransferResult.

    `source` is a path (str, bytes or os.PathLike); or a file object with a working
    ``fileno()``, whose descriptor the library reads (a regular file from offset 0 to its end
    whatever the object's position, a pipe or socket to its end; read nothing from it through
    Python first); or any binary stream with ``readinto()`` or ``read()``, called one call at a
    time but not always on this thread, `length` bytes (None: to its end).

    `progress(done, total)` is called on this thread at most every `progress_interval_ms`
    (100) and once when every byte is sent; `total` is None for a stream of unknown length. A
    true return cancels: the upload raises CanceledError. An exception raised by `progress` (a
    KeyboardInterrupt too) or by the stream cancels as well, and the upload raises it once the
    library has stopped. The callables may use another client, not this one. `checksum` is "crc32c" (default), "md5", "sha256" or "none"; `upload_id`
    continues a multipart upload (its parts already there are not sent again)."""
    call = _Call(progress)
    settings = dict(part_size=part_size, multipart_threshold=multipart_threshold, concurrency=concurrency, checksum=checksum, content_type=content_type, upload_id=upload_id, progress_interval_ms=progress_interval_ms)
    t = _native.text
    b, k = t(bucket), t(key)
    if isinstance(source, (str, bytes, os.PathLike)):
        _no_length(length)
        path = t(os.fspath(source))
        return _run(client, call, settings, lambda out, c, o, u: lib.skycrate_transfer_upload_file(out, c, b, k, path, o))
    fd = _fileno(source)
    if fd is not None:
        _no_length(length)
        if hasattr(source, "flush"):
            source.flush()  # what Python still buffers for a file opened for writing too
        return _run(client, call, settings, lambda out, c, o, u: lib.skycrate_transfer_upload_fd(out, c, b, k, fd, o))
    if not hasattr(source, "readinto") and not hasattr(source, "read"):
        raise TypeError("source is a path, a file object or a binary stream, not %s" % type(source).__name__)
    if length is not None and length < 0:
        raise error(EINVAL, "length is a number of bytes, or None when unknown")
    call.stream = source
    size = SIZE_UNKNOWN if length is None else length
    return _run(client, call, settings, lambda out, c, o, u: lib.skycrate_transfer_upload_stream(out, c, b, k, o, size, _READ, u))


def _no_length(length):
    if length is not None:
        raise error(EINVAL, "length is for streams: a file is read to its end")


def download(client, bucket, key, path, *, progress=None, progress_interval_ms=None, part_size=None, concurrency=None):
    """Downloads `bucket`/`key` into the file `path` with ranged GETs in parallel, each pinned
    to the object's ETag (an object replaced meanwhile fails with ConflictError). The bytes go
    to a file beside `path` that replaces it only when complete; on failure or cancel `path`
    is left as it was. `progress` as for upload(). Returns a TransferResult."""
    call = _Call(progress)
    settings = dict(part_size=part_size, multipart_threshold=None, concurrency=concurrency, checksum=None, content_type=None, upload_id=None, progress_interval_ms=progress_interval_ms)
    t = _native.text
    b, k, p = t(bucket), t(key), t(os.fspath(path))
    return _run(client, call, settings, lambda out, c, o, u: lib.skycrate_transfer_download_file(out, c, b, k, p, o))
