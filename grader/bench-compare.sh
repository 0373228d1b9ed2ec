#!/bin/sh
# bench-compare.sh: the grader of an earlier commit against the current tree's, side by
# side in one run, on the same class (a benchmark, not a test; issue 17).
# usage: grader/bench-compare.sh [OLD_COMMIT]        (default: HEAD~1)
#   env: N (submissions of each kind, default 10), OLD_ARGS / NEW_ARGS (extra grader
#        options of each run, e.g. OLD_ARGS="-j 2" for the issue's command line),
#        ONLY=single|class (one part only), KEEP=1 (keep the work directories)
# 1. builds the grader, its sandbox and the stage of OLD_COMMIT (git archive into
#    grader/build/compare/old-tree) and of the current tree (the stage is not timed);
# 2. the class: N references, N correct alternatives (each exercise's instructor-only
#    alt/NAME over the reference), N buggy (each exercise with one of its buggy/*.patch),
#    N untouched skeletons; all seven exercises each, built from the current tree;
# 3. grades it with the old grader, then with the new one; gradebook.csv must be
#    identical (else the diff is printed and the script fails); then one reference
#    submission alone, old then new (same check);
# 4. prints each run's wall time, CPU (user + sys of the whole tree), utilisation
#    (CPU / wall / nproc), the load average around it, and the ratio new / old.
# The machine's other work shows in the load average: figures from a busy machine are
# noisy, compare them with that in mind.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
wb=$(cd "$here/.." && pwd)
old=${1:-HEAD~1}
n=${N:-10}
B=$here/build/compare
ncpu=$(nproc)
oldrev=$(git -C "$wb" rev-parse --short "$old")
newrev="$(git -C "$wb" rev-parse --short HEAD)$(git -C "$wb" diff --quiet HEAD -- grader testlib mk tools 'td*' || echo +changes)"

rm -rf "$B" && mkdir -p "$B/old-tree" "$B/class"
git -C "$wb" archive "$old" | tar -x -C "$B/old-tree"
make -s -C "$B/old-tree/grader" all >/dev/null
make -s -C "$here" all >/dev/null
exercises=$(cd "$wb" && for d in td*/; do
  [ -f "$d/rubric.tsv" ] && [ -f "$d/STUDENT_FILES" ] && [ -d "$d/solution" ] && echo "${d%/}"; done)
nex=$(echo $exercises | wc -w)

# pick K LIST...: the (K mod count)-th word of LIST.
pick() { k=$1; shift; [ $# -gt 0 ] || return 0; eval "echo \${$(( k % $# + 1 ))}"; }
# alt_sub DEST K: the reference with, in every exercise, alt/NAME's files over it.
alt_sub() {
  "$here/tests/mksub.sh" "$wb" solution "$1" $exercises
  for ex in $exercises; do
    a=$(pick "$2" $(cd "$wb/$ex" && ls -d alt/*/ 2>/dev/null))
    [ -n "$a" ] || continue
    for f in $(grep -v '^#' "$wb/$ex/STUDENT_FILES"); do
      if [ -f "$wb/$ex/$a$f" ]; then cp "$wb/$ex/$a$f" "$1/$ex/$f"; fi
    done
  done
}
# buggy_sub DEST K: in every exercise, the reference with one of its buggy variants.
buggy_sub() {
  for ex in $exercises; do
    p=$(pick "$2" $(cd "$wb/$ex" && ls buggy/*.patch 2>/dev/null))
    if [ -n "$p" ]; then "$here/tests/mksub.sh" "$wb" "${p%.patch}" "$1" "$ex"
    else "$here/tests/mksub.sh" "$wb" solution "$1" "$ex"; fi
  done
}
i=0
while [ "$i" -lt "$n" ]; do
  i=$((i + 1)); k=$(printf %02d "$i")
  "$here/tests/mksub.sh" "$wb" solution "$B/class/ref$k" $exercises
  alt_sub "$B/class/alt$k" "$i"
  buggy_sub "$B/class/bug$k" "$((i * 3))"
  "$here/tests/mksub.sh" "$wb" skeleton "$B/class/skel$k" $exercises
done
"$here/tests/mksub.sh" "$wb" solution "$B/single/ref" $exercises

# The stages, built once each, not timed.
"$B/old-tree/grader/grader" -q --prepare -T "$B/old-tree" --workdir "$B/work-old" -o "$B/x"
"$here/grader" -q --prepare -T "$wb" --workdir "$B/work-new" -o "$B/x"

load() { cut -d' ' -f1-3 /proc/loadavg; }
# run NAME GRADER TREE ARGS...: grade into $B/out-NAME; leaves "WALL USER SYS" in $B/NAME.time.
run() {
  name=$1 g=$2 tree=$3; shift 3
  l0=$(load)
  /usr/bin/time -f "%e %U %S" -o "$B/$name.time" "$g" -q --timings -T "$tree" \
    --workdir "$B/work-${name%%-*}" -o "$B/out-$name" "$@" 2> "$B/$name.timings" || {
    echo "bench-compare: $name: the grader failed:"; tail -5 "$B/$name.timings"; exit 1; }
  awk -v n="$name" -v c="$ncpu" -v l0="$l0" -v l1="$(load)" '{
    printf "  %-14s %7.1f s wall  %7.1f s CPU (%.1f user + %.1f sys)  utilisation %3.0f%% of %d CPUs  load %s -> %s\n",
      n, $1, $2 + $3, $2, $3, 100 * ($2 + $3) / ($1 > 0 ? $1 : 1) / c, c, l0, l1 }' "$B/$name.time"
}
wall() { cut -d' ' -f1 "$B/$1.time"; }
# cells FILE: "id exercise score" lines of a gradebook.csv (the total left out).
cells() {
  tr -d '\r' < "$1" | awk -F, 'NR == 1 { for (i = 2; i < NF; i++) ex[i] = $i; next }
    { for (i = 2; i < NF; i++) print $1, ex[i], $i }' | sort
}
# same A B [TREE GRADER DIR]: the two gradebooks are identical, or print the diff; then
# (TREE, GRADER: the old grader's; DIR: the submissions) the old grader grades the
# differing submissions again (up to 3 times, while a cell's old value stays one and
# not the new grader's): a cell where it disagrees with itself is the
# submission's own nondeterminism (a buggy program's race: measured, the old grader
# twice on this class differed in 4 buggy rows, references, alternatives and skeletons
# never); a cell where only the new grader differs fails the check.
same() {
  if cmp -s "$B/out-$1/gradebook.csv" "$B/out-$2/gradebook.csv"; then
    echo "  gradebook.csv: identical ($(($(wc -l < "$B/out-$1/gradebook.csv") - 1)) rows)"
    return
  fi
  echo "  gradebook.csv DIFFERS ($1 vs $2):"
  diff "$B/out-$1/gradebook.csv" "$B/out-$2/gradebook.csv" | sed 's/^/    /'
  [ -n "${3:-}" ] || { fail=1; return; }
  cells "$B/out-$1/gradebook.csv" > "$B/$1.cells"
  cells "$B/out-$2/gradebook.csv" > "$B/$2.cells"
  # "id/exercise score": the cells that differ, with the old grader's values so far
  for f in "$1" "$2"; do awk '{ print $1 "/" $2, $3 }' "$B/$f.cells" | sort > "$B/$f.k"; done
  join "$B/$1.k" "$B/$2.k" | awk '$2 != $3 { print $1, $2 }' > "$B/olds"
  join "$B/$1.k" "$B/$2.k" | awk '$2 != $3 { print $1, $3 }' > "$B/news"
  round=0
  while [ "$round" -lt 3 ]; do
    round=$((round + 1))
    # still suspect: the old grader gave one value each time, and not the new one
    sort "$B/olds" | uniq | awk '{ n[$1]++; v[$1] = $2 } END { for (k in n) if (n[k] == 1) print k, v[k] }' |
      sort | join - "$B/news" | awk '$2 != $3 { print $1 }' > "$B/suspect"
    [ -s "$B/suspect" ] || break
    ids=$(sed 's|/.*||' "$B/suspect" | sort -u)
    echo "  the old grader grades $(echo $ids | wc -w) of them again, round $round: $(echo $ids)"
    rm -rf "$B/out-$1-again"
    "$4" -q ${OLD_ARGS:-} --single -T "$3" --workdir "$B/work-old" -o "$B/out-$1-again" \
      $(for id in $ids; do echo "$5/$id"; done) 2>/dev/null || true
    cells "$B/out-$1-again/gradebook.csv" | awk '{ print $1 "/" $2, $3 }' | sort |
      join - "$B/suspect" >> "$B/olds"
  done
  sort "$B/olds" | uniq | awk '{ v[$1] = v[$1] (v[$1] ? " " : "") $2; n[$1]++ }
    END { for (k in v) print k, n[k], v[k] }' | sort | join - "$B/news" |
    awk -v fail="$B/fail" '{ new = $NF; seen = 0; for (i = 3; i < NF; i++) if ($i == new) seen = 1
      olds = $3; for (i = 4; i < NF; i++) olds = olds "," $i
      if ($2 > 1 || seen) printf "    %-32s old %s, new %s: the old grader disagrees with itself (noise)\n", $1, olds, new
      else { printf "    %-32s old %s, new %s: ONLY THE NEW GRADER DIFFERS\n", $1, olds, new; print > fail } }'
  [ ! -s "$B/fail" ] || fail=1
}
fail=0
rm -f "$B/fail"
echo "bench-compare: $ncpu CPU(s), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo);" \
  "old $oldrev ${OLD_ARGS:-(default options)}, new $newrev ${NEW_ARGS:-(default options)};" \
  "$nex exercises; load average $(load)"
if [ "${ONLY:-class}" = class ]; then
  echo "class of $((4 * n)) ($n references, $n alternatives, $n buggy, $n skeletons):"
  run old-class "$B/old-tree/grader/grader" "$B/old-tree" ${OLD_ARGS:-} --lms "$B/class"
  run new-class "$here/grader" "$wb" ${NEW_ARGS:-} --lms "$B/class"
  same old-class new-class "$B/old-tree" "$B/old-tree/grader/grader" "$B/class"
  echo "  ratio new/old: $(echo "$(wall new-class) $(wall old-class)" | awk '{ printf "%.2f", $1 / $2 }') (goal <= 0.6)"
fi
if [ "${ONLY:-single}" = single ]; then
  echo "one reference submission alone:"
  run old-single "$B/old-tree/grader/grader" "$B/old-tree" ${OLD_ARGS:-} --single "$B/single/ref"
  run new-single "$here/grader" "$wb" ${NEW_ARGS:-} --single "$B/single/ref"
  same old-single new-single "$B/old-tree" "$B/old-tree/grader/grader" "$B/single"
  echo "  ratio new/old: $(echo "$(wall new-single) $(wall old-single)" | awk '{ printf "%.2f", $1 / $2 }') (goal <= 0.7)"
fi
echo "per-step timings: $B/*.timings"
[ -n "${KEEP:-}" ] || rm -rf "$B/work-old" "$B/work-new"
exit "$fail"
