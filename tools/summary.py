#!/usr/bin/python3
"""Totals the test runs given as LABEL=path/to/testlog.json: each Check program counts its own
checks (from Check's "Checks: X, Failures: Y, Errors: Z" line), every other test counts one.
A skipped test counts as failed: nothing may skip itself into green. Prints per-run lines and
the final "N passed, M failed" line; exits non-zero when anything failed."""
import json
import re
import sys

CHECK_LINE = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")
GOOD = {"OK", "EXPECTEDFAIL"}

total_pass = total_fail = 0
for arg in sys.argv[1:]:
    label, path = arg.split("=", 1)
    run_pass = run_fail = 0
    failed_names = []
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError as e:
        print(f"{label}: no test log ({e})")
        run_fail += 1
        lines = []
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        ok = t.get("result") in GOOD
        found = CHECK_LINE.findall((t.get("stdout") or "") + (t.get("stderr") or ""))
        if found:
            checks = sum(int(c) for c, _, _ in found)
            bad = sum(int(f) + int(e) for _, f, e in found)
            run_pass += checks - bad
            run_fail += bad
            if not ok and bad == 0:  # crashed, leaked or timed out after Check's summary
                run_fail += 1
        elif ok:
            run_pass += 1
        else:
            run_fail += 1
        if not ok:
            failed_names.append(f'{t.get("name")} ({t.get("result")})')
    print(f"{label}: {run_pass} passed, {run_fail} failed" + (f" -- {', '.join(failed_names)}" if failed_names else ""))
    total_pass += run_pass
    total_fail += run_fail
print(f"{total_pass} passed, {total_fail} failed")
sys.exit(1 if total_fail else 0)
