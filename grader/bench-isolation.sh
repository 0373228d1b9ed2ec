#!/bin/sh
# bench-isolation.sh: the sandbox's overhead on grading (a benchmark, not a test).
# usage: grader/bench-isolation.sh [N [EXERCISES]]   (N rounds, default 3; EXERCISES
#   comma-separated, default td1-signals,td2-shm,td4-pipes)
# Grades the same reference submission N times with isolation (the sandbox) and N times
# with --no-isolation, interleaved, -j 2, on a warm stage; prints the medians and the
# ratio (goal: isolated under 1.15 x plain). The machine's load average is printed: on a
# busy machine single runs vary by +-30%, so only the medians of several rounds mean much.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
wb=$(cd "$here/.." && pwd)
B=$here/build/bench-isolation
n=${1:-3} exs=${2:-td1-signals,td2-shm,td4-pipes}
make -s -C "$here" all
make -s -C "$here/sandbox"
rm -rf "$B" && mkdir -p "$B" && cp "$here/grader" "$B/grader"
G=$B/grader
export GRADER_SANDBOX=$here/sandbox/sandbox
"$here/tests/mksub.sh" "$wb" solution "$B/ref" $(echo "$exs" | tr , ' ')
"$G" -q --prepare -T "$wb" --workdir "$B/work" -o "$B/out" -e "$exs"
now() { date +%s.%N; }
# one MODE...: grade the reference once; prints the wall time.
one() {
  t=$(now)
  "$G" -q --regrade --no-merge -j 2 -T "$wb" --workdir "$B/work" -o "$B/out" -e "$exs" "$@" "$B/ref"
  echo "$(now) $t" | awk '{ printf "%.2f\n", $1 - $2 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "bench-isolation: $(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg); $exs, $n rounds"
i=0
while [ "$i" -lt "$n" ]; do
  i=$((i + 1))
  one --no-isolation >> "$B/plain"
  one >> "$B/isolated"
  echo "  round $i: plain $(tail -n 1 "$B/plain") s, isolated $(tail -n 1 "$B/isolated") s"
done
p=$(median < "$B/plain") s=$(median < "$B/isolated")
score=$(awk -F'\t' '$1 == "total" { print $2 "/" $3 }' "$B/out/ref/grade.tsv")
echo "isolation overhead: plain $p s, isolated $s s (medians), ratio $(echo "$s $p" |
  awk '{ printf "%.2f", $1 / $2 }') (goal < 1.15); score $score"
echo "bench-isolation: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
