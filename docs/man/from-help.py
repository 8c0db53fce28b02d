#!/usr/bin/env python3
"""A manual page made from a program's own --help, so that the two always say the same.

    from-help.py PROGRAM NAME SECTION SUMMARY OUT     writes OUT (roff)
    from-help.py --check PROGRAM NAME PAGE            fails unless PAGE holds PROGRAM's --help
"""
import subprocess
import sys


def help_text(program, name):
    run = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        sys.exit("%s --help exited %d" % (name, run.returncode))
    # A program that names itself by argv[0] prints its build path: the page uses its name.
    return run.stdout.replace(program, name)


def roff(text):
    lines = []
    for line in text.rstrip("\n").split("\n"):
        line = line.replace("\\", "\\e").replace("-", "\\-")
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def write(program, name, section, summary, out):
    text = help_text(program, name)
    usage, _, rest = text.partition("\n")
    page = [
        '.TH "%s" "%s" "" "libskycrate" "libskycrate manual"' % (name.upper(), section),
        ".SH NAME",
        "%s \\- %s" % (name, summary),
        ".SH SYNOPSIS",
        ".nf",
        roff(usage),
        ".fi",
        ".SH DESCRIPTION",
        "The text below is the program's own \\fB\\-\\-help\\fR.",
        ".PP",
        ".nf",
        roff(rest.strip("\n")),
        ".fi",
        ".SH SEE ALSO",
        "The libskycrate API reference (Doxygen), installed with the library.",
    ]
    with open(out, "w") as f:
        f.write("\n".join(page) + "\n")


def check(program, name, page):
    text = open(page).read()
    expected = roff(help_text(program, name))
    missing = [l for l in expected.split("\n") if l.strip() and l not in text]
    if missing:
        sys.exit("%s: the manual page lacks %d lines of --help, e.g. %r" % (page, len(missing), missing[0]))
    print("%s matches %s --help" % (page, name))


if sys.argv[1] == "--check":
    check(*sys.argv[2:5])
else:
    write(*sys.argv[1:6])
