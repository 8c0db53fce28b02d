#!/bin/sh
# The code follows .clang-format (docs/HACKING.md); tools/format applies it.
set -eu
cd "$1"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find include lib tests examples bench fuzz -name '*.[ch]')
# shellcheck disable=SC2086
clang-format --dry-run -Werror $files && echo "format ok: $(echo "$files" | wc -w) files"
