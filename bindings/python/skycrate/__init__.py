"""libskycrate for Python: per-user S3 buckets and presigned browser uploads.

A binding over the library's C ABI through ctypes. It loads ``libskycrate.so.0.2`` (the
release whose ABI it is written for) through the dynamic loader, or the file that the
``SKYCRATE_LIBRARY`` environment variable names; the PostgreSQL store loads
``libskycrate-pg.so.0.2`` (``SKYCRATE_PG_LIBRARY``) when first used.

Library errors are exceptions (:class:`Error` and its subclasses) carrying the code, the
message and, for client calls, the S3 details. Handles are released by ``close()``, by
``with``, or when garbage collected.
"""

from ._native import lib as _lib
from ._native import string as _string
from .client import Client, ObjectInfo
from .credentials import Credentials, CredentialsProvider
from .doctor import Answer, Diagnosis, Doctor, DoctorCase
from .errors import (
    AccessDeniedError,
    AuthError,
    CanceledError,
    ConflictError,
    ConnectError,
    Error,
    ExistsError,
    InvalidArgumentError,
    NotFoundError,
    ResponseInfo,
    SignatureError,
    UserCallbackError,
)
from .log import set_log
from .presigner import Contract, PostForm, Presigner, upload_key
from .provisioner import (
    PAB_ALL,
    PAB_BLOCK_PUBLIC_ACLS,
    PAB_BLOCK_PUBLIC_POLICY,
    PAB_IGNORE_PUBLIC_ACLS,
    PAB_RESTRICT_PUBLIC_BUCKETS,
    DeprovisionReport,
    Provisioner,
    Record,
    UsageReport,
    VerifyReport,
)
from .store import UserStore
from .transfer import TransferResult

__version__ = "0.2.0"


def library_version():
    """The version of the loaded C library, "x.y.z"."""
    return _string(_lib.skycrate_version_string())


__all__ = [
    "AccessDeniedError", "Answer", "AuthError", "CanceledError", "Client", "ConflictError",
    "ConnectError", "Contract", "Credentials", "CredentialsProvider", "DeprovisionReport",
    "Diagnosis", "Doctor", "DoctorCase", "Error", "ExistsError", "InvalidArgumentError",
    "NotFoundError", "ObjectInfo", "PAB_ALL", "PAB_BLOCK_PUBLIC_ACLS", "PAB_BLOCK_PUBLIC_POLICY",
    "PAB_IGNORE_PUBLIC_ACLS", "PAB_RESTRICT_PUBLIC_BUCKETS", "PostForm", "Presigner",
    "Provisioner", "Record", "ResponseInfo", "SignatureError", "TransferResult", "UsageReport",
    "UserCallbackError", "UserStore", "VerifyReport", "library_version", "set_log", "upload_key",
]
