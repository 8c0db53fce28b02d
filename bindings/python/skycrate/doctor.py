"""The 403 doctor (skycrate/doctor.h): why a presigned request failed, told from the contract
the client was given, what it sent, the page's origin and what the server answered."""

import ctypes
import json
from dataclasses import dataclass, field
from typing import Mapping, Optional, Union

from . import _native
from ._handle import Handle
from ._native import lib
from .errors import check, rendered
from .presigner import Contract

# skycrate_verdict by value: "ok", "unknown", "header-missing", "header-mismatch", ...
VERDICTS = tuple(_native.string(lib.skycrate_verdict_name(i)) for i in range(21))


@dataclass(frozen=True)
class Answer:
    """A server's answer as the client saw it: the HTTP status, the body (an S3 ``<Error>``
    document, say) and the headers (a dict, or the headers of a urllib answer)."""

    status: int
    body: Union[bytes, str] = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DoctorCase:
    """What happened. `contract`: what the client was given, a Contract or its JSON (a dict or
    text, as Contract.json or a presign endpoint renders it: method, url or uploadUrl,
    headers). `method` and `url` (together): what was sent, when not the contract's, or alone
    without a contract. `headers`: every header the client sent (None or empty: exactly the
    contract's). `origin`: the page's, for the CORS checks. `answer` and `preflight`: the
    server's answers to the request and to its CORS preflight. `cors` (CORSConfiguration XML)
    and `policy` (JSON): the bucket's settings when known, "" for none. `time`: when it was
    sent (Unix seconds; default now)."""

    contract: Union[Contract, dict, str, None] = None
    method: Optional[str] = None
    url: Optional[str] = None
    headers: Optional[Mapping[str, str]] = None
    origin: Optional[str] = None
    answer: Optional[Answer] = None
    preflight: Optional[Answer] = None
    cors: Optional[str] = None
    policy: Optional[str] = None
    time: Optional[int] = None


@dataclass(frozen=True)
class Diagnosis:
    """The doctor's verdict (a name of VERDICTS: "ok", "header-mismatch", "cors-origin", ...),
    the subject it concerns (a header, an origin, a policy statement), what was expected and
    what was found, `seconds` (an expiry time or a clock offset), the failed answer's HTTP
    status and S3 code, and a sentence for a person; `json` as the library renders it."""

    verdict: str
    subject: str
    expected: str
    actual: str
    seconds: int
    status: int
    code: str
    message: str
    json: dict = field(repr=False, compare=False)

    @property
    def ok(self):
        return self.verdict == "ok"

    @staticmethod
    def _from_c(ptr):
        s = _native.string
        code = ctypes.c_char_p()
        status = lib.skycrate_diagnosis_status(ctypes.byref(code), ptr)
        return Diagnosis(
            s(lib.skycrate_verdict_name(lib.skycrate_diagnosis_verdict(ptr))),
            s(lib.skycrate_diagnosis_subject(ptr)),
            s(lib.skycrate_diagnosis_expected(ptr)),
            s(lib.skycrate_diagnosis_actual(ptr)),
            lib.skycrate_diagnosis_seconds(ptr),
            status,
            s(code.value) or "",
            s(lib.skycrate_diagnosis_message(ptr)),
            rendered(lib.skycrate_diagnosis_to_json, ptr),
        )


def _contract_json(contract):
    if isinstance(contract, Contract):
        contract = contract.json
    if isinstance(contract, dict):
        return json.dumps(contract)
    return contract


def _set_answer(c, preflight, answer):
    t = _native.text
    body = t(answer.body) or b""
    check(lib.skycrate_doctor_case_set_answer(c, preflight, answer.status, body, len(body)))
    for name, value in answer.headers.items():
        check(lib.skycrate_doctor_case_add_answer_header(c, preflight, t(name), t(value)))


def _new_case(case):
    """A C case from a DoctorCase (the caller frees it)."""
    c = ctypes.c_void_p()
    check(lib.skycrate_doctor_case_new(ctypes.byref(c)))
    t = _native.text
    try:
        if case.contract is not None:
            check(lib.skycrate_doctor_case_set_contract_json(c, t(_contract_json(case.contract))))
        if case.method is not None or case.url is not None:
            check(lib.skycrate_doctor_case_set_sent(c, t(case.method), t(case.url)))
        for name, value in (case.headers or {}).items():
            check(lib.skycrate_doctor_case_add_sent_header(c, t(name), t(value)))
        if case.origin is not None:
            check(lib.skycrate_doctor_case_set_origin(c, t(case.origin)))
        if case.answer is not None:
            _set_answer(c, 0, case.answer)
        if case.preflight is not None:
            _set_answer(c, 1, case.preflight)
        if case.cors is not None or case.policy is not None:
            check(lib.skycrate_doctor_case_set_bucket(c, t(case.cors), t(case.policy)))
        if case.time is not None:
            check(lib.skycrate_doctor_case_set_time(c, case.time))
    except BaseException:
        lib.skycrate_doctor_case_free(c)
        raise
    return c


class Doctor(Handle):
    """Diagnoses failed presigned requests. Made from a client, whose region, endpoint and
    credentials provider it copies (the client may be closed afterwards); immutable, so any
    number of threads may use it at once."""

    def __init__(self, client):
        out = ctypes.c_void_p()
        check(lib.skycrate_doctor_new(ctypes.byref(out), client._ptr))
        super().__init__(out, lib.skycrate_doctor_free)

    def _run(self, case, call):
        """``call(&diagnosis, c_case)`` for the C case of `case`: the Diagnosis it makes."""
        c = _new_case(case)
        out = ctypes.c_void_p()
        try:
            call(ctypes.byref(out), c)
            return Diagnosis._from_c(out)
        finally:
            lib.skycrate_diagnosis_free(out)
            lib.skycrate_doctor_case_free(c)

    def diagnose(self, case):
        """The Diagnosis of a DoctorCase from what it holds, computing only (the URL's signature
        is recomputed when the doctor's credentials hold its access key). A case needs a
        contract or a sent URL."""
        return self._run(case, lambda out, c: check(lib.skycrate_doctor_diagnose(out, self._ptr, c)))

    def replay(self, case, client):
        """Sends the case's request again from here with `client` (after its CORS preflight
        when the case has an origin; a PUT that succeeds wrote an empty object, deleted again),
        reads the bucket's CORS rules, policy and public access block, then diagnoses. The
        answers and settings found replace the case's."""
        return self._run(case, lambda out, c: client._call(lib.skycrate_doctor_replay, out, client._ptr, self._ptr, c))
