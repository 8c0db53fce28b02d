#!/usr/bin/python3
"""Every code sample of the guides (docs/*.md) compiles or runs: C and C++ samples are compiled
and linked against the built library, Python samples are run (or, when they need a server,
compiled and every skycrate name they use is checked to exist), JavaScript samples are
checked by node.

A sample is a fenced block. An HTML comment right before it (invisible in the rendered page)
says how it is checked; without one, a C block is a complete program and a Python block a
complete script that is run:

    <!-- sample: statements
    skycrate_client *client = NULL;      (declarations the statements use, not shown)
    -->
    <!-- sample: unit -->                (C: a translation unit without main)
    <!-- sample: compile -->             (Python: needs a server; compiled and checked)

  check-samples.py DOCS_DIR --cc CC --cxx CXX --cflags "..." --libs "..." [--node NODE]
"""
import argparse
import ast
import os
import re
import shlex
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"<!--\s*sample:\s*(\w+)(.*?)-->", re.S)
C_HEADERS = "#include <inttypes.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <skycrate.h>\n#include <skycrate/store_pg.h>\n"
CPP_HEADERS = "#include <iostream>\n#include <string>\n#include <skycrate.hpp>\n"


def samples(path):
    """(line, language, marker kind, marker context, code) for every fenced block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(1):
            i += 1
            continue
        start, language = i + 1, m.group(1)
        j = start
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        before = "\n".join(lines[max(0, i - 40):i])
        kind, context = "", ""
        markers = list(MARKER.finditer(before))
        if markers and before.rstrip().endswith("-->"):
            kind, context = markers[-1].group(1), markers[-1].group(2)
        yield start, language, kind, context, "\n".join(lines[start:j])
        i = j + 1


def check_c(code, kind, context, args, tmp, name, cpp=False):
    headers = CPP_HEADERS if cpp else C_HEADERS
    if kind == "statements":
        source = headers + context + "\nstatic void sample(void)\n{\n" + code + "\n}\n"
        source += "int main(void)\n{\n    sample();\n    return 0;\n}\n"
    elif kind == "unit":
        source = headers + context + "\n" + code + "\nint main(void)\n{\n    return 0;\n}\n"
    else:
        source = code + "\n"
    src = os.path.join(tmp, name + (".cpp" if cpp else ".c"))
    with open(src, "w") as f:
        f.write(source)
    cmd = [args.cxx, "-std=c++17"] if cpp else [args.cc, "-std=c11"]
    cmd += ["-Wall", "-Wextra", "-Werror", "-Wno-unused-function", "-Wno-unused-variable",
            "-Wno-unused-parameter"] + ([] if cpp else ["-Wno-unused-but-set-variable"])
    cmd += shlex.split(args.cflags) + [src, "-o", os.path.join(tmp, name)] + shlex.split(args.libs)
    r = subprocess.run(cmd, capture_output=True, text=True)
    return None if r.returncode == 0 else r.stderr + "\n--- compiled:\n" + source


def skycrate_names(tree):
    """The attributes used on the name `skycrate` (skycrate.Client, ...)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "skycrate":
            yield node.attr


def check_python(code, kind, tmp, name):
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        return "syntax error: %s" % e
    import skycrate

    missing = sorted({n for n in skycrate_names(tree) if not hasattr(skycrate, n)})
    if missing:
        return "skycrate has no %s" % ", ".join(missing)
    if kind == "compile":
        return None
    path = os.path.join(tmp, name + ".py")
    with open(path, "w") as f:
        f.write(code + "\n")
    r = subprocess.run([sys.executable, path], capture_output=True, text=True, cwd=tmp, timeout=120)
    return None if r.returncode == 0 else r.stdout + r.stderr


def check_js(code, args, tmp, name):
    path = os.path.join(tmp, name + ".mjs")
    with open(path, "w") as f:
        f.write(code + "\n")
    r = subprocess.run([args.node, "--check", path], capture_output=True, text=True)
    return None if r.returncode == 0 else r.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("docs")
    parser.add_argument("--cc", required=True)
    parser.add_argument("--cxx", required=True)
    parser.add_argument("--cflags", default="")
    parser.add_argument("--libs", default="")
    parser.add_argument("--node", default="node")
    args = parser.parse_args()
    failures, counts = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for doc in sorted(os.listdir(args.docs)):
            if not doc.endswith(".md") or doc == "HACKING.md":
                continue
            for n, (line, language, kind, context, code) in enumerate(samples(os.path.join(args.docs, doc))):
                name = "%s_%d" % (doc[:-3].replace("-", "_"), n)
                if language in ("c", "cpp"):
                    error = check_c(code, kind, context, args, tmp, name, language == "cpp")
                elif language in ("py", "python"):
                    error = check_python(code, kind, tmp, name)
                elif language in ("js", "javascript"):
                    error = check_js(code, args, tmp, name)
                else:
                    continue  # shell, JSON, INI, SQL: shown, not run
                counts[language] = counts.get(language, 0) + 1
                if error:
                    failures.append("%s:%d (%s): %s" % (doc, line, language, error))
    for f in failures:
        print("FAIL " + f)
    print("doc samples: %s checked, %d failed" % (", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
