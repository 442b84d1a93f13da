#!/bin/bash
# Every built man page renders with man(1) without a single groff warning
# (man --warnings: undefined macros, bad escapes, ...), and says something.
# usage: man_render.sh PAGE...   (exit 77, skipped, when man is missing)
set -u
command -v man >/dev/null 2>&1 || { echo "man is not installed (apt-get install man-db groff-base): skipped"; exit 77; }
[ $# -gt 0 ] || { echo "no pages built: scdoc was not found when meson configured (apt-get install scdoc): skipped"; exit 77; }
fail=0
for page in "$@"; do
	err=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	lines=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -E UTF-8 -l "$page" 2>/dev/null | wc -l)
	if [ -n "$err" ]; then
		echo "FAIL: $page: $err"
		fail=1
	elif [ "$lines" -lt 20 ]; then
		echo "FAIL: $page renders to $lines lines"
		fail=1
	else
		echo "ok: $page ($lines lines)"
	fi
done
exit $fail
