#!/bin/sh
# bench.sh: the grader's performance figures (a benchmark, not a test).
# usage: grader/bench.sh [N [J]]     (N submissions, default 40; J parallel jobs, default 2)
#   1. the stage: building every exercise's tests and reference, cold then warm;
#   2. one reference submission of the whole workbook with -j J (goal: under 15 s on
#      2 cores), with each exercise's build / tests / memcheck times;
#   3. a class of N submissions (references, skeletons, buggy variants) with -j J
#      (goal: 40 submissions under 8 minutes).
# The machine's load average is printed: the figures mean little on a busy machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
wb=$(cd "$here/.." && pwd)
B=$here/build/bench
n=${1:-40} j=${2:-2}
make -s -C "$here" all
rm -rf "$B" && mkdir -p "$B/class" && cp "$here/grader" "$B/grader"
G=$B/grader
# The copied binary does not sit next to the sandbox: name it, so jobs run isolated.
export GRADER_SANDBOX="${GRADER_SANDBOX:-$here/sandbox/sandbox}"
exercises=$(cd "$wb" && for d in td*/; do
  [ -f "$d/rubric.tsv" ] && [ -f "$d/STUDENT_FILES" ] && [ -d "$d/solution" ] && echo "${d%/}"; done)
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }
# cpu FILE COMMAND...: run it, leaving "USER SYS" CPU seconds (its whole tree) in FILE.
cpu() { f=$1; shift; /usr/bin/time -f "%U %S" -o "$f" "$@"; }
cpu_text() { awk '{ printf "%.1f s CPU", $1 + $2 }' "$1"; }
echo "bench: $(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg); exercises: $(echo $exercises)"

t=$(now)
"$G" -q --prepare -T "$wb" --workdir "$B/work" -o "$B/out"
echo "stage, cold (build every exercise's tests and reference): $(since "$t") s"
t=$(now)
"$G" -q --prepare -T "$wb" --workdir "$B/work" -o "$B/out"
echo "stage, warm (nothing changed): $(since "$t") s"

"$here/tests/mksub.sh" "$wb" solution "$B/ref" $exercises
t=$(now)
cpu "$B/cpu1" "$G" -q --timings -j "$j" -T "$wb" --workdir "$B/work" -o "$B/out1" "$B/ref" 2> "$B/timings1"
echo "one reference submission, $(echo $exercises | wc -w) exercises, -j $j: $(since "$t") s wall," \
  "$(cpu_text "$B/cpu1") (goal: < 15 s wall on 2 cores);" \
  "score $(sed -n 's/^ref,.*,\([0-9.]*\)\r*$/\1/p' "$B/out1/gradebook.csv")"
sed 's/^/  /' "$B/timings1"

i=0
while [ "$i" -lt "$n" ]; do
  i=$((i + 1)); s=$B/class/s$(printf %03d $i)
  case $((i % 3)) in
    0) "$here/tests/mksub.sh" "$wb" skeleton "$s" $exercises ;;
    *) "$here/tests/mksub.sh" "$wb" solution "$s" $exercises
       ex=$(echo $exercises | tr ' ' '\n' | sed -n "$(( i % $(echo $exercises | wc -w) + 1 ))p")
       p=$(ls "$wb/$ex/buggy/"*.patch 2>/dev/null | sed -n "$(( i % 5 + 1 ))p")
       [ -n "$p" ] && patch -s -p1 -d "$s/$ex" < "$p" || true ;;
  esac
done
t=$(now)
cpu "$B/cpu40" "$G" -q -j "$j" -T "$wb" --workdir "$B/work" -o "$B/out40" "$B/class"
el=$(since "$t")
echo "$n submissions, -j $j: $el s wall, $(cpu_text "$B/cpu40") (goal for 40: < 480 s);" \
  "$(echo "$el $n" | awk '{ printf "%.1f", $1 / $2 }') s per submission"
echo "bench: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
