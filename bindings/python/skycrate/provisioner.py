"""Per-user buckets (skycrate/provisioner.h, provisioner_config.h, record.h, reports.h):
provision, show, verify, usage, deprovision, with records and reports as Python data."""

import ctypes
from dataclasses import dataclass, field
from typing import Dict, Optional

from . import _native
from ._handle import Handle
from ._native import lib
from .errors import check, choice, rendered

STEPS = [_native.string(lib.skycrate_step_name(i)) for i in range(8)]
STEP_STATUS = {0: "off", 1: "pending", 2: "done", 3: "skipped"}
VERIFY_STATUS = {0: "not-checked", 1: "match", 2: "drift", 3: "missing", 4: "unsupported", 5: "error"}
FAILURE_MODES = {"strict": 0, "compatible": 1}
ENCRYPTION = {"none": 0, "aes256": 1, "kms": 2}
OWNERSHIP = {None: 0, "BucketOwnerEnforced": 1, "BucketOwnerPreferred": 2, "ObjectWriter": 3}
CORS_METHODS = {"PUT": 1, "POST": 2, "GET": 4, "HEAD": 8, "DELETE": 16}
# Public access block flags (SKYCRATE_PAB_*).
PAB_BLOCK_PUBLIC_ACLS, PAB_IGNORE_PUBLIC_ACLS = 1, 2
PAB_BLOCK_PUBLIC_POLICY, PAB_RESTRICT_PUBLIC_BUCKETS, PAB_ALL = 4, 8, 15


def _per_step(ptr, status, names, note):
    """Each step's status (by name, through `names`) and the steps' non-empty notes."""
    statuses, notes = {}, {}
    for i, step in enumerate(STEPS):
        statuses[step] = names.get(status(ptr, i), "?")
        text = _native.string(note(ptr, i))
        if text:
            notes[step] = text
    return statuses, notes


@dataclass(frozen=True)
class Record:
    """A user's record: the bucket, where it lives, the provisioning state, each step's status
    ("off", "pending", "done", "skipped") with its note, the last error, times (Unix seconds);
    `json` is the whole record as the library renders it."""

    user_id: str
    bucket: str
    region: str
    endpoint: str
    mode: str
    state: str
    steps: Dict[str, str]
    notes: Dict[str, str]
    error: Optional[str]
    created_at: int
    updated_at: int
    json: dict = field(repr=False, compare=False)

    @staticmethod
    def _from_c(ptr):
        s = _native.string
        statuses, notes = _per_step(ptr, lib.skycrate_record_step, STEP_STATUS, lib.skycrate_record_step_note)
        return Record(
            s(lib.skycrate_record_user_id(ptr)),
            s(lib.skycrate_record_bucket(ptr)),
            s(lib.skycrate_record_region(ptr)),
            s(lib.skycrate_record_endpoint(ptr)),
            s(lib.skycrate_record_mode(ptr)),
            s(lib.skycrate_state_name(lib.skycrate_record_state(ptr))),
            statuses,
            notes,
            s(lib.skycrate_record_error(ptr)) or None,
            lib.skycrate_record_created_at(ptr),
            lib.skycrate_record_updated_at(ptr),
            rendered(lib.skycrate_record_to_json, ptr),
        )


@dataclass(frozen=True)
class VerifyReport:
    """The server's configuration against the profile: `ok`, and per step a status ("match",
    "drift", "missing", "unsupported", "error", "not-checked") with a detail."""

    ok: bool
    bucket_exists: bool
    region: Optional[str]
    steps: Dict[str, str]
    details: Dict[str, str]
    json: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class UsageReport:
    """Objects and bytes in the user's bucket, in total and per storage class; when the server
    listed versions (`versions_listed`), the noncurrent versions and delete markers too; and
    the unfinished multipart uploads with their parts and bytes (stored until aborted)."""

    objects: int
    bytes: int
    classes: Dict[str, tuple]
    versions_listed: bool
    noncurrent_objects: int
    noncurrent_bytes: int
    delete_markers: int
    uploads: int
    upload_parts: int
    upload_bytes: int
    json: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class DeprovisionReport:
    """What deprovisioning deleted (or, in a dry run, would delete), and the record after."""

    dry_run: bool
    versions: int
    delete_markers: int
    uploads: int
    bytes: int
    record: Optional[Record]
    json: dict = field(repr=False, compare=False)


def _verify_report(ptr):
    s = _native.string
    steps, details = _per_step(ptr, lib.skycrate_verify_report_step, VERIFY_STATUS, lib.skycrate_verify_report_step_detail)
    return VerifyReport(
        bool(lib.skycrate_verify_report_ok(ptr)),
        bool(lib.skycrate_verify_report_bucket_exists(ptr)),
        s(lib.skycrate_verify_report_region(ptr)),
        steps,
        details,
        rendered(lib.skycrate_verify_report_to_json, ptr),
    )


def _usage_report(ptr):
    classes = {}
    for i in range(lib.skycrate_usage_report_class_count(ptr)):
        name = _native.string(lib.skycrate_usage_report_class_name(ptr, i))
        classes[name] = (lib.skycrate_usage_report_class_objects(ptr, i), lib.skycrate_usage_report_class_bytes(ptr, i))
    return UsageReport(
        lib.skycrate_usage_report_objects(ptr),
        lib.skycrate_usage_report_bytes(ptr),
        classes,
        bool(lib.skycrate_usage_report_versions_listed(ptr)),
        lib.skycrate_usage_report_noncurrent_objects(ptr),
        lib.skycrate_usage_report_noncurrent_bytes(ptr),
        lib.skycrate_usage_report_delete_markers(ptr),
        lib.skycrate_usage_report_upload_count(ptr),
        lib.skycrate_usage_report_upload_parts(ptr),
        lib.skycrate_usage_report_upload_bytes(ptr),
        rendered(lib.skycrate_usage_report_to_json, ptr),
    )


def _deprovision_report(ptr):
    record = lib.skycrate_deprovision_report_record(ptr)
    return DeprovisionReport(
        bool(lib.skycrate_deprovision_report_dry_run(ptr)),
        lib.skycrate_deprovision_report_versions(ptr),
        lib.skycrate_deprovision_report_delete_markers(ptr),
        lib.skycrate_deprovision_report_uploads(ptr),
        lib.skycrate_deprovision_report_bytes(ptr),
        Record._from_c(record) if record else None,
        rendered(lib.skycrate_deprovision_report_to_json, ptr),
    )


def _configure(cfg, store, dev, failure_mode, bucket_prefix, public_access_block, encryption, kms_key_id, bucket_key, ownership, cors_origins, cors_methods, cors_allowed_headers, cors_expose_headers, cors_max_age, tls_only, abort_multipart_days, tagging, application, tags, concurrency):
    t = _native.text
    if store is not None:
        check(lib.skycrate_provisioner_config_set_store(cfg, store._ptr))
    check(lib.skycrate_provisioner_config_set_dev_mode(cfg, int(bool(dev))))
    check(lib.skycrate_provisioner_config_set_failure_mode(cfg, choice(FAILURE_MODES, failure_mode, "failure_mode")))
    if bucket_prefix is not None:
        check(lib.skycrate_provisioner_config_set_bucket_prefix(cfg, t(bucket_prefix)))
    if public_access_block is not None:
        check(lib.skycrate_provisioner_config_set_public_access_block(cfg, public_access_block))
    if encryption is not None:
        check(lib.skycrate_provisioner_config_set_encryption(cfg, choice(ENCRYPTION, encryption, "encryption"), t(kms_key_id), int(bool(bucket_key))))
    if ownership != "BucketOwnerEnforced":
        check(lib.skycrate_provisioner_config_set_object_ownership(cfg, choice(OWNERSHIP, ownership, "ownership")))
    for origin in cors_origins or ():
        check(lib.skycrate_provisioner_config_add_cors_origin(cfg, t(origin)))
    if cors_methods is not None:
        bits = 0
        for method in cors_methods:
            bits |= choice(CORS_METHODS, method, "each of cors_methods")
        check(lib.skycrate_provisioner_config_set_cors_methods(cfg, bits))
    for setter, names in ((lib.skycrate_provisioner_config_set_cors_allowed_headers, cors_allowed_headers),
                          (lib.skycrate_provisioner_config_set_cors_expose_headers, cors_expose_headers)):
        if names is not None:
            array = (ctypes.c_char_p * max(len(names), 1))(*[t(n) for n in names])
            check(setter(cfg, array, len(names)))
    if cors_max_age is not None:
        check(lib.skycrate_provisioner_config_set_cors_max_age(cfg, cors_max_age))
    if tls_only is not None:
        check(lib.skycrate_provisioner_config_set_tls_only_policy(cfg, int(bool(tls_only))))
    if abort_multipart_days is not None:
        check(lib.skycrate_provisioner_config_set_abort_multipart_days(cfg, abort_multipart_days))
    if tagging is not None:
        check(lib.skycrate_provisioner_config_set_tagging(cfg, int(bool(tagging))))
    if application is not None:
        check(lib.skycrate_provisioner_config_set_application(cfg, t(application)))
    for key, value in (tags or {}).items():
        check(lib.skycrate_provisioner_config_add_tag(cfg, t(key), t(value)))
    if concurrency is not None:
        check(lib.skycrate_provisioner_config_set_concurrency(cfg, concurrency))


class Provisioner(Handle):
    """One private, locked-down bucket per user, as a resumable transaction journaled in a user
    store. It borrows its client (kept open while the provisioner is) and uses it from the
    calling thread; like the client, it is used by one thread at a time (a lock here)."""

    def __init__(self, client=None, *, store=None, dev=False, failure_mode="strict", bucket_prefix=None, public_access_block=None, encryption=None, kms_key_id=None, bucket_key=False, ownership="BucketOwnerEnforced", cors_origins=(), cors_methods=None, cors_allowed_headers=None, cors_expose_headers=None, cors_max_age=None, tls_only=None, abort_multipart_days=None, tagging=None, application=None, tags=None, concurrency=None):
        """`store` is a UserStore (default: users.json in the working directory); `dev` makes
        no network call (no client needed); `failure_mode` is "strict" or "compatible" (steps
        an S3-compatible server does not implement are recorded as skipped). The rest is the
        security profile (skycrate/provisioner_config.h)."""
        cfg = ctypes.c_void_p()
        check(lib.skycrate_provisioner_config_new(ctypes.byref(cfg)))
        out = ctypes.c_void_p()
        try:
            _configure(cfg, store, dev, failure_mode, bucket_prefix, public_access_block, encryption, kms_key_id, bucket_key, ownership, cors_origins, cors_methods, cors_allowed_headers, cors_expose_headers, cors_max_age, tls_only, abort_multipart_days, tagging, application, tags, concurrency)
            check(lib.skycrate_provisioner_new(ctypes.byref(out), client._ptr if client else None, cfg))
        finally:
            lib.skycrate_provisioner_config_free(cfg)
        super().__init__(out, lib.skycrate_provisioner_free, keep=[client] if client else [])
        self._client = client
        if client is not None:
            client._borrowers.add(self)

    def _call(self, fn, *args):
        client = self._client
        if client is None:
            return check(fn(*args))
        with client._lock:
            return check(fn(*args), client._ptr)

    def _run(self, fn, convert, free, user_id, *extra):
        out = ctypes.c_void_p()
        try:
            self._call(fn, ctypes.byref(out), self._ptr, _native.text(user_id), *extra)
            return convert(out)
        finally:
            free(out)

    def provision(self, user_id):
        """Provisions (or resumes, or returns) the user's bucket; the Record at the end."""
        return self._run(lib.skycrate_provisioner_provision, Record._from_c, lib.skycrate_record_free, user_id)

    def show(self, user_id):
        """The user's Record as stored; NotFoundError when there is none."""
        return self._run(lib.skycrate_provisioner_show, Record._from_c, lib.skycrate_record_free, user_id)

    def verify(self, user_id):
        """Reads the bucket's configuration back from the server: a VerifyReport."""
        return self._run(lib.skycrate_provisioner_verify, _verify_report, lib.skycrate_verify_report_free, user_id)

    def usage(self, user_id):
        return self._run(lib.skycrate_provisioner_usage, _usage_report, lib.skycrate_usage_report_free, user_id)

    def deprovision(self, user_id, dry_run=False):
        """Deletes every object version, delete marker and unfinished upload, then the bucket;
        the record says "deleted". A DeprovisionReport."""
        return self._run(lib.skycrate_provisioner_deprovision, _deprovision_report, lib.skycrate_deprovision_report_free, user_id, 1 if dry_run else 0)
