#!/usr/bin/env python3
"""Writes a C file that defines `const char NAME[]` with the text of a file (the upload page)."""
import sys

src, out, name = sys.argv[1:4]
data = open(src, "rb").read()


def literal(line):
    parts = []
    for b in line:
        c = chr(b)
        if c in '"\\?':
            parts.append("\\" + c)
        elif 32 <= b < 127:
            parts.append(c)
        else:
            parts.append("\\%03o" % b)  # octal: never runs into the next character
    return '"' + "".join(parts) + '"'


with open(out, "w") as f:
    f.write("/* Generated from %s; do not edit. */\n" % src.split("/")[-1])
    f.write("extern const char %s[];\n" % name)
    f.write("const char %s[] =\n" % name)
    for line in data.splitlines(keepends=True):
        f.write("    " + literal(line) + "\n")
    f.write("    \"\";\n")
