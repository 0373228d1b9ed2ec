#!/bin/sh
# package.sh: build the Gradescope autograder zip.
# usage: package.sh OUT.zip [TREE [EXERCISE...]]
# The zip holds setup.sh and run_autograder at its root (Gradescope's layout) and
# workbook/: the instructor tree (mk, tools, testlib, the exercises without their build
# directories) and the grader's sources. TREE defaults to the workbook holding this
# script; EXERCISES to every td* directory with a rubric.tsv.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
tree=$(cd "${2:-$here/../..}" && pwd)
shift; [ $# -gt 0 ] && shift
exercises=$*
if [ -z "$exercises" ]; then
  exercises=$(cd "$tree" && for d in td*/; do [ -f "$d/rubric.tsv" ] && echo "${d%/}"; done)
fi
stage=$(mktemp -d "${TMPDIR:-/tmp}/gradescope-XXXXXX")
trap 'rm -rf "$stage"' EXIT
wb=$stage/workbook
mkdir -p "$wb/grader"
for part in mk tools testlib $exercises; do
  (cd "$tree" && tar --exclude=build -cf - "$part") | (cd "$wb" && tar -xf -)
done
(cd "$here/.." && tar -cf - Makefile src gradescope sandbox/Makefile sandbox/src) | (cd "$wb/grader" && tar -xf -)
cp "$here/setup.sh" "$here/run_autograder" "$stage/"
chmod +x "$stage/setup.sh" "$stage/run_autograder"
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
rm -f "$out"
(cd "$stage" && zip -qr "$out" setup.sh run_autograder workbook)
echo "package.sh: $out ($(echo $exercises | wc -w) exercise(s): $(echo $exercises))"
