#!/bin/bash
# bench.sh: the sandbox's overhead. The same grading job (a clean build and the tests of
# one exercise on the reference solution, in a scratch copy of the workbook) run N times
# with and without the sandbox, interleaved (the machine is shared: compare medians), then
# the fixed cost of a trivial command. Prints the ratios; the goal is under 1.15.
#   usage: bench.sh [N] [EXERCISE]          (default 5 td1-signals; run as root)
set -u
cd "$(dirname "$0")" || exit 1
N=${1:-5}
EX=${2:-td1-signals}
SBX=$PWD/build/sandbox
ROOT=$(cd ../.. && pwd)
[ -x "$SBX" ] || { echo "bench: build the sandbox first (make)"; exit 1; }
WORK=$(mktemp -d /tmp/sandbox-bench.XXXXXX) || exit 1
chmod 755 "$WORK"
cp -r "$ROOT/mk" "$ROOT/testlib" "$ROOT/tools" "$ROOT/$EX" "$WORK/"
JOB="rm -rf $EX/build testlib/build && make -s -C $EX IMPL=solution results >/dev/null 2>&1"
MAKE_RESULTS=$EX/build/solution/results.tsv

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

SHM=$(mktemp -d /dev/shm/sandbox-bench.XXXXXX) || exit 1
trap 'rm -rf "$WORK" "$SHM"' EXIT
trap 'exit 130' INT TERM
ENV="PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C HOME=$WORK"

plain() {
    local t=$(date +%s%N)
    (cd "$WORK" && env -i $ENV TMPDIR="${1:-/tmp}" sh -c "$JOB")
    ms $t
}

sandboxed() {
    local t=$(date +%s%N)
    "$SBX" --slot 0 --rw "$WORK" --time 600 --cpu 600 --quiet -- sh -c "$JOB"
    ms $t
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
mean() { awk '{s+=$1} END {printf "%d", s/NR}'; }

echo "bench: $N runs each of: $JOB"
echo "bench: in $WORK, interleaved, load average $(cut -d' ' -f1-3 /proc/loadavg)"
plain >/dev/null; sandboxed >/dev/null          # warm the caches (and the chown)
: >"$WORK/p"; : >"$WORK/t"; : >"$WORK/s"
for i in $(seq "$N"); do
    p=$(plain); t=$(plain "$SHM"); s=$(sandboxed)
    tests=$(grep -c PASS "$WORK/$MAKE_RESULTS" 2>/dev/null)
    echo "  run $i: plain ${p} ms, plain+tmpfs ${t} ms, sandboxed ${s} ms (${tests} tests passed)"
    echo "$p" >>"$WORK/p"; echo "$t" >>"$WORK/t"; echo "$s" >>"$WORK/s"
done
pm=$(median <"$WORK/p"); tm=$(median <"$WORK/t"); sm=$(median <"$WORK/s")
ratio() { awk "BEGIN{printf \"%.3f\", $1/$2}"; }
echo "job: median plain ${pm} ms, plain+tmpfs ${tm} ms, sandboxed ${sm} ms"
echo "job: ratio sandboxed/plain $(ratio $sm $pm), sandboxed/plain+tmpfs $(ratio $sm $tm)" \
     "(means $(mean <"$WORK/p") / $(mean <"$WORK/t") / $(mean <"$WORK/s") ms)"

# The fixed cost: a command that does nothing.
: >"$WORK/p"; : >"$WORK/s"
for i in $(seq 20); do
    t=$(date +%s%N); /bin/true; ms $t >>"$WORK/p"
    t=$(date +%s%N); "$SBX" --slot 0 --rw "$WORK" --quiet -- /bin/true; ms $t >>"$WORK/s"
done
echo "startup: median /bin/true $(median <"$WORK/p") ms plain, $(median <"$WORK/s") ms in the sandbox (20 runs)"
worst=$(( pm < tm ? pm : tm ))
awk "BEGIN{exit !($sm/$worst < 1.15)}" && echo "bench: goal met (under 15% slower than the faster plain run)" ||
    echo "bench: goal NOT met (15%)"
