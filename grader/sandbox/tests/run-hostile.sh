#!/bin/bash
# run-hostile.sh: run every program of the hostile corpus (hostile/*.c) under the sandbox
# and check, for each: the verdict is the right one; nothing is left on the host
# (processes of the slot uids, System V objects, files in /tmp or /dev/shm, TCP listeners,
# cgroups, mounts); and an honest program (hostile/clean.c) run in another slot at the
# same time is unaffected. Also: the degraded modes (namespaces refused, not root).
# Ends with "N passed, N failed"; exit status 1 if anything failed. Run as root.
set -u
cd "$(dirname "$0")/.." || exit 1
SBX=$PWD/build/sandbox
H=$PWD/build/hostile
HS=40 CS=41 US=42                   # slots of the hostile run, the clean run, the non-root run
HUID=$((61000 + HS)) CUID=$((61000 + CS)) UUID_=$((61000 + US))
NAME=t$$
KEY=$((0x5b0c1ea0))
pass=0 fail=0
start=$(date +%s%N)

[ "$(id -u)" = 0 ] || { echo "run-hostile: run as root (each slot is a uid)"; exit 1; }
WORK=$(mktemp -d /tmp/sandbox-test.XXXXXX) || exit 1
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
base_8080=$(ss -ltnH 'sport = :8080' | wc -l)

ok()  { pass=$((pass + 1)); printf 'PASS  %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL  %s%s\n' "$1" "${2:+: $2}"; }
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$1"; }

# Live (not zombie: the host's pid 1 may reap late) processes of the test's slot uids.
live_procs() {
    grep -lE "^Uid:[[:space:]]+($HUID|$CUID|$UUID_)[[:space:]]" /proc/[0-9]*/status 2>/dev/null |
        xargs -r grep -LE '^State:[[:space:]]+Z' 2>/dev/null
}

# What the runs left on the host: one line per kind of leftover (empty: nothing).
leftovers() {
    local p
    p=$(live_procs)
    [ -n "$p" ] && echo "processes: $(echo $p | tr -d '\n')"
    grep -qE "^ *($KEY|$((KEY + 1))|$((KEY + 2))) " /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg &&
        echo "System V objects with the corpus' keys"
    ls -d /tmp/hostile-* /tmp/hostile.sock /dev/shm/hostile-* 2>/dev/null | sed 's/^/file: /'
    find /tmp /var/tmp /dev/shm -maxdepth 2 \( -uid $HUID -o -uid $CUID -o -uid $UUID_ \) \
        -not -path "$WORK*" 2>/dev/null | sed 's/^/file: /'
    ss -ltnHe | grep -E "uid:($HUID|$CUID|$UUID_)" | sed 's/^/listener: /'
    [ "$(ss -ltnH 'sport = :8080' | wc -l)" -gt "$base_8080" ] && echo "listener on 8080"
    find /sys/fs/cgroup -maxdepth 5 -name "sandbox-$NAME-*" 2>/dev/null | sed 's/^/cgroup: /'
    grep -E "$WORK|sandbox-init" /proc/self/mountinfo | sed 's/^/mount: /'
}

# sandbox SLOT JOB [options] -- CMD...: one run; its verdict in JOB.v, output in JOB.log.
sandbox() {
    local slot=$1 job=$2
    shift 2
    mkdir -p "$job"
    "$SBX" --name "$NAME" --slot "$slot" --rw "$job" --ro "$H" --verdict "$job.v" \
        --log "$job.log" --quiet "$@"
}

# The honest program in the clean slot; true if it got exactly its normal result.
clean_run() {
    sandbox $CS "$WORK/clean-$1" --time 20 -- "$H/clean"
    [ "$(field "$WORK/clean-$1.v" status)" = ok ] &&
        [ "$(cat "$WORK/clean-$1.log")" = "clean: ok sum=500500" ]
}

# case NAME STATUS [options] -- CMD...: the hostile run in its slot, the clean run in
# parallel, then the common checks. Extra checks follow, using $J (the job dir).
case_() {
    local name=$1 want=$2 got rest t0=$(date +%s%N)
    shift 2
    J=$WORK/$name
    sandbox $HS "$J" "$@" &
    local hp=$!
    sleep 0.3
    clean_run "$name"
    local clean=$?
    wait $hp
    got=$(field "$J.v" status)
    if [ "$got" = "$want" ]; then
        ok "$name: verdict $got ($(field "$J.v" message)) [$(( ($(date +%s%N) - t0) / 1000000 )) ms]"
    else bad "$name: verdict" "want $want, got '${got:-none}': $(cat "$J.v" 2>/dev/null)"; fi
    [ $clean = 0 ] && ok "$name: parallel clean run unaffected" ||
        bad "$name: parallel clean run" "$(cat "$WORK/clean-$name.v" "$WORK/clean-$name.log")"
    rest=$(leftovers)
    [ -z "$rest" ] && ok "$name: nothing left on the host" || bad "$name: left on the host" "$rest"
}

# says PATTERN: the verdict's sentence (what a student reads) of the last case matches.
says() {
    pat=$1
    expect "$(basename "$J"): the verdict says '$pat'" 'field "$J.v" message | grep -q -- "$pat"' "$(cat "$J.v")"
}
# limit_at: the verdict says when the limit was seen (the grader names the test from it).
limit_at() {
    expect "$(basename "$J"): the verdict says when the limit fired" '[ "$(field "$J.v" limit_at_ms)" -gt 0 ]' "$(cat "$J.v")"
}
mark() { echo "----  $1 (at $(( ($(date +%s%N) - start) / 1000000 )) ms)"; }
expect() { if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi; }

# ---- the corpus --------------------------------------------------------------------
case_ forkbomb pids --time 2 --pids 64 -- "$H/forkbomb"
expect "forkbomb: at most 64 processes" '[ "$(field "$J.v" pids_peak)" -le 64 ]' "$(cat "$J.v")"
says "^too many processes (limit 64)"; limit_at

case_ busyloop time --time 30 --cpu 1 -- "$H/busyloop"
expect "busyloop: stopped by the CPU limit" '[ "$(field "$J.v" limit)" = cpu ]' "$(cat "$J.v")"
says "^CPU time limit (1 s) exceeded"

case_ busyloop-tree time --time 30 --cpu 100 --cpu-total 1 -- sh -c "$H/busyloop & $H/busyloop & wait"
expect "busyloop-tree: stopped by the whole-tree CPU limit" '[ "$(field "$J.v" limit)" = cpu ]' "$(cat "$J.v")"

case_ sleeper time --time 2 -- "$H/sleeper"
expect "sleeper: stopped by the wall deadline" '[ "$(field "$J.v" limit)" = wall ]' "$(cat "$J.v")"
says "^time limit (2 s) exceeded"; limit_at

case_ daemon ok --time 5 -- "$H/daemon"
size1=$(stat -c %s "$J/daemon.alive" 2>/dev/null || echo 0); sleep 0.5
size2=$(stat -c %s "$J/daemon.alive" 2>/dev/null || echo 0)
expect "daemon: the grandchild was killed when the run ended" '[ "$size1" = "$size2" ]' "$size1 -> $size2"
expect "daemon: verdict says it left a process" '[ "$(field "$J.v" leftovers)" -ge 1 ]' "$(cat "$J.v")"

case_ memhog memory --time 10 --mem 64M -- "$H/memhog"
says "^memory limit (64 MiB) exceeded"; limit_at

case_ flood output --time 10 --output 1M -- "$H/flood"
expect "flood: log holds at most the cap" '[ "$(stat -c %s "$J.log")" -le 1048576 ]' "$(stat -c %s "$J.log")"
says "^output limit (1 MiB) exceeded"; limit_at

case_ diskfill-tmp exit --time 10 --tmp-size 8M -- "$H/diskfill" /tmp/fill
expect "diskfill-tmp: /tmp is bounded" 'grep -q "No space left" "$J.log"' "$(cat "$J.log")"

case_ diskfill-job signal --time 10 --fsize 4M -- "$H/diskfill" fill.bin
expect "diskfill-job: RLIMIT_FSIZE stopped it" '[ "$(field "$J.v" limit)" = fsize ] && [ "$(stat -c %s "$J/fill.bin")" -le 4194304 ]' "$(cat "$J.v")"
says "^file size limit (4 MiB) exceeded (signal 25)"

case_ manyfiles disk --time 20 --disk 64M -- "$H/manyfiles" 1024
expect "manyfiles: stopped near the disk limit (at most 80M for 64M)" '[ "$(du -sm "$J" | cut -f1)" -le 80 ]' "$(du -sh "$J")"
says "^disk space limit (64 MiB) exceeded"; limit_at
rm -rf "$J"
case_ manyfiles-empty disk --time 20 --files 500 -- "$H/manyfiles" 0
expect "manyfiles-empty: stopped by the files limit" '[ "$(field "$J.v" limit)" = files ]' "$(cat "$J.v")"
says "^too many files written (limit 500)"
rm -rf "$J"

case_ sysv ok --time 5 -- "$H/sysv"
case_ sysv-again ok --time 5 -- "$H/sysv"

case_ tmpfiles ok --time 5 -- "$H/tmpfiles"
case_ tmpfiles-again ok --time 5 -- "$H/tmpfiles"

# Two squatters on 8080 at once (the clean run binds 8080 too).
sandbox $CS "$WORK/port-b" --time 10 -- "$H/port" 8080 1 &
pb=$!
case_ port ok --time 10 -- "$H/port" 8080 2
wait $pb
expect "port: the parallel squatter got 8080 too" '[ "$(field "$WORK/port-b.v" status)" = ok ]' "$(cat "$WORK/port-b.log")"

# Instructor files: a hidden solution dir and rubric, a root-only file in a visible
# tree, files the view leaves out (other students, the grader's output, /root).
I=$WORK/instructor
mkdir -p "$I/solution" "$I/tests" "$WORK/other-student" "$WORK/grader-out"
echo "int secret_solution;" > "$I/solution/prog.c"
printf 'test\t10\thidden\thint\n' > "$I/rubric.tsv"
echo "test source" > "$I/tests/test.c"
echo "ROOT ONLY" > "$I/rootonly.txt"; chmod 600 "$I/rootonly.txt"
echo "their answer" > "$WORK/other-student/prog.c"
chmod -R a+rX "$I/solution" "$I/tests" "$I/rubric.tsv"
case_ readsecret ok --time 5 --ro "$I" --hide "$I/solution" --hide "$I/rubric.tsv" -- \
    "$H/readsecret" "$I/solution" "$I/solution/prog.c" "$I/rubric.tsv" "$I/rootonly.txt" \
    /etc/shadow /root "$WORK/other-student/prog.c" "$WORK/grader-out" /work/main/README.md /work/shared /home
expect "readsecret: nothing was read" '! grep -q "^READ" "$J.log"' "$(cat "$J.log")"

# Tampering: the read-only tests, a symlink planted for the chown, the results channel.
sum_before=$(find "$I" -exec stat -c '%n %s %a %Y' {} + | sort | md5sum)
mkdir -p "$WORK/tamper"; ln -s "$I/rootonly.txt" "$WORK/tamper/link"
case_ tamper ok --time 5 --ro "$I" -- "$H/tamper" write "$I/tests" "$I" /usr/lib
sum_after=$(find "$I" -exec stat -c '%n %s %a %Y' {} + | sort | md5sum)
expect "tamper: the read-only tree is unchanged" '[ "$sum_before" = "$sum_after" ]'
expect "tamper: chown did not follow a planted symlink" '[ "$(stat -c %u "$I/rootonly.txt")" = 0 ]'

exec 9>"$WORK/results.tsv"
case_ tamper-results ok --time 5 --pass-fd 9 -- "$H/tamper" runner 9
exec 9>&-
expect "tamper-results: only the runner's record" '[ "$(cat "$WORK/results.tsv")" = runner-record ]' "$(cat "$WORK/results.tsv"; cat "$J.log")"
expect "tamper-results: no ptrace, /proc/PID/mem or /proc/PID/fd way in" 'grep -q "attack: 0 succeeded" "$J.log"' "$(cat "$J.log")"
# Known limit (not counted): a dumpable process holding the descriptor (make, sh) between
# the sandbox and the runner can be ptraced by the code under test (same uid).
# With the attacker in a Landlock domain of its own (what a test library could do before
# exec'ing the program under test), the hole closes.
exec 9>"$WORK/results-sh.tsv"
sandbox $HS "$WORK/tamper-sh" --time 5 --pass-fd 9 -- sh -c "$H/tamper runner 9; true"
sandbox $HS "$WORK/tamper-ll" --time 5 --pass-fd 9 -- sh -c "$H/tamper runner 9 landlock; true"
exec 9>&-
echo "NOTE  results descriptor held by a shell: $(grep -c -E 'attached|opened' "$WORK/tamper-sh.log") ways in" \
     "(why the grader runs the test binary directly); attacker in a Landlock domain:" \
     "$(grep -c -E 'attached|opened' "$WORK/tamper-ll.log") ways in"

# The network: the host's loopback services and abstract sockets, and the outside.
python3 -c '
import socket, time
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 18473)); t.listen(8)
u = socket.socket(socket.AF_UNIX); u.bind("\0sandbox-test-abstract"); u.listen(8)
open("'"$WORK"'/listening", "w").close()
time.sleep(20)' &
lp=$!
for i in $(seq 100); do [ -e "$WORK/listening" ] && break; sleep 0.1; done
"$H/netout" 18473 sandbox-test-abstract >"$WORK/netout-host.log"
expect "netout: (control) the host itself reaches both listeners" '[ "$(grep -c CONNECTED "$WORK/netout-host.log")" -ge 2 ]' "$(cat "$WORK/netout-host.log")"
case_ netout ok --time 10 -- "$H/netout" 18473 sandbox-test-abstract
kill $lp 2>/dev/null; wait $lp 2>/dev/null

case_ killer ok --time 5 -- "$H/killer"
case_ stopper time --time 2 -- "$H/stopper"
says "^time limit (2 s) exceeded"
case_ crasher signal --time 5 -- sh -c 'kill -SEGV $$'
says "^killed by signal 11 (Segmentation fault)"
expect "crasher: no limit is said to have fired" '[ "$(field "$J.v" limit_at_ms)" = 0 ]' "$(cat "$J.v")"
case_ failer exit --time 5 -- sh -c 'exit 3'
says "^exited with status 3"
case_ fdhog ok --time 5 --nofile 64 -- "$H/fdhog" 65

mark "extra cases"
# The sandbox itself killed (the grader crashed): its run dies with it, and the next run
# removes the cgroups it left.
J=$WORK/orphaned
mkdir -p "$J"
"$SBX" --name "$NAME" --slot $HS --rw "$J" --ro "$H" --time 30 --quiet -- \
    sh -c "$H/daemon; exec $H/sleeper" >/dev/null &
sp=$!
for i in $(seq 100); do [ -s "$J/daemon.alive" ] && break; sleep 0.1; done
sleep 0.3
alive=$(grep -lE "^Uid:[[:space:]]+$HUID[[:space:]]" /proc/[0-9]*/status 2>/dev/null | wc -l)
kill -9 $sp; wait $sp 2>/dev/null
sleep 0.5
s1=$(stat -c %s "$J/daemon.alive" 2>/dev/null || echo 0); sleep 0.5
s2=$(stat -c %s "$J/daemon.alive" 2>/dev/null || echo 0)
expect "sandbox killed: its run died with it" '[ "$alive" -ge 2 ] && [ "$s1" = "$s2" ] && [ -z "$(live_procs)" ]' "$alive alive before; $s1 -> $s2; $(live_procs)"
expect "sandbox killed: it left its cgroups (swept next)" '[ -n "$(leftovers)" ]'
sandbox $HS "$J" --time 5 -- /bin/true
expect "sandbox killed: the next run removed its cgroups" '[ -z "$(leftovers)" ]' "$(leftovers)"

# A machine with only cgroup v2 and no pids/memory controller there (simulated by
# ignoring the v1 mounts): cgroup.kill still ends the tree, RLIMIT_AS/NPROC stand in.
J=$WORK/v2only
SANDBOX_NO_CGROUP_V1=1 sandbox $HS "$J" --time 2 -- sh -c "$H/daemon; exec $H/stopper"
expect "cgroup v2 only: deadline, tree killed, limits said missing" '[ "$(field "$J.v" status)" = time ] && grep -q "no cgroup limit for: process count, memory" "$J.v" && [ -z "$(leftovers)" ]' "$(cat "$J.v") $(leftovers)"
SANDBOX_NO_CGROUP_V1=1 sandbox $HS "$J" --time 5 --mem 64M -- "$H/memhog"
expect "cgroup v2 only: memory bounded by RLIMIT_AS" 'grep -q "malloc failed" "$J.log"' "$(cat "$J.v" "$J.log")"

# A job directory the slot's uid cannot reach: a clear error, not a namespace problem.
mkdir -p "$WORK/private/job"; chmod 700 "$WORK/private"
"$SBX" --name "$NAME" --slot $HS --rw "$WORK/private/job" --verdict "$WORK/private.v" --quiet -- true
rc=$?
expect "unreachable job dir: error naming the fix" '[ $rc = 125 ] && grep -q "source path" "$WORK/private.v" && grep -q "o+x" "$WORK/private.v"' "rc $rc $(cat "$WORK/private.v")"

mark "degraded modes"
# ---- degraded modes ----------------------------------------------------------------
J=$WORK/nons
SANDBOX_SIMULATE_USERNS_DENIED=1 sandbox $HS "$J" --time 5 -- "$H/clean" 2>"$J.err"
rc=$?
expect "no namespaces: refused with exit 125" '[ $rc = 125 ] && [ "$(field "$J.v" status)" = error ]' "rc $rc $(cat "$J.v")"
expect "no namespaces: says how to allow them" 'grep -q "kernel.apparmor_restrict_unprivileged_userns=0" "$J.err" && grep -q "profile bwrap" "$J.err"' "$(cat "$J.err")"

J=$WORK/nons-allow
SANDBOX_SIMULATE_USERNS_DENIED=1 sandbox $HS "$J" --time 5 --allow-no-isolation -- "$H/daemon" 2>/dev/null
s1=$(stat -c %s "$J/daemon.alive" 2>/dev/null || echo 0); sleep 0.5
s2=$(stat -c %s "$J/daemon.alive" 2>/dev/null || echo 0)
expect "no namespaces, allowed: runs with a loud warning" 'grep -q "\"isolation\":\"NO ISOLATION\"" "$J.v" && grep -q "NO ISOLATION" "$J.v" && [ "$(field "$J.v" status)" = ok ]' "$(cat "$J.v")"
expect "no namespaces, allowed: daemonized grandchild still killed" '[ "$s1" = "$s2" ] && [ -z "$(leftovers)" ]' "$s1 -> $s2 $(leftovers)"

J=$WORK/nons-leak
SANDBOX_SIMULATE_USERNS_DENIED=1 sandbox $HS "$J" --time 5 --allow-no-isolation -- sh -c "$H/sysv; $H/tmpfiles" 2>/dev/null
expect "no namespaces, allowed: SysV objects and /tmp files scrubbed" '[ "$(field "$J.v" status)" = ok ] && grep -q "removed System V" "$J.v" && [ -z "$(leftovers)" ]' "$(cat "$J.v" "$J.log") $(leftovers)"

J=$WORK/nons-sleep
SANDBOX_SIMULATE_USERNS_DENIED=1 sandbox $HS "$J" --time 2 --allow-no-isolation -- "$H/stopper" 2>/dev/null
expect "no namespaces, allowed: wall deadline and tree kill" '[ "$(field "$J.v" status)" = time ] && [ -z "$(leftovers)" ]' "$(cat "$J.v") $(leftovers)"

# Not root: bubblewrap with an unprivileged user namespace, no cgroups.
J=$WORK/user
mkdir -p "$J"; chown $UUID_:$UUID_ "$J"
setpriv --reuid $UUID_ --regid $UUID_ --clear-groups "$SBX" --rw "$J" --ro "$H" --time 2 \
    --verdict "$J/v" --log "$J/log" --quiet -- "$H/daemon"
expect "not root: runs isolated, daemon killed" '[ "$(field "$J/v" status)" = ok ] && [ "$(field "$J/v" isolation)" = full ] && [ -z "$(leftovers)" ]' "$(cat "$J/v") $(leftovers)"
setpriv --reuid $UUID_ --regid $UUID_ --clear-groups "$SBX" --rw "$J" --ro "$H" --time 2 \
    --verdict "$J/v" --log "$J/log" --quiet -- "$H/sleeper"
expect "not root: wall deadline" '[ "$(field "$J/v" status)" = time ] && [ -z "$(leftovers)" ]' "$(cat "$J/v") $(leftovers)"
setpriv --reuid $UUID_ --regid $UUID_ --clear-groups "$SBX" --rw "$J" --ro "$H" --time 2 \
    --verdict "$J/v" --log "$J/log" --quiet -- "$H/readsecret" /etc/shadow
expect "not root: root-only files unreadable" '[ "$(field "$J/v" status)" = ok ]' "$(cat "$J/log")"

mark "grading job"
# ---- a real grading job, with the command line of README.md ---------------------------
# STAGE: the instructor tree, tests and reference programs built by root (reference
# programs exec-only); JD/root: the work copy holding the student's files (here the
# reference sources); results on descriptor 3, a root-owned file outside JD/root.
if [ "${SANDBOX_TEST_JOB:-1}" = 1 ]; then
    ROOT=$(cd ../.. && pwd) EX=td1-signals
    STAGE=$WORK/stage JD=$WORK/jobs/alice/$EX
    mkdir -p "$STAGE" "$JD/root/$EX"
    cp -r "$ROOT/mk" "$ROOT/testlib" "$ROOT/tools" "$ROOT/$EX" "$STAGE/"
    rm -rf "$STAGE/$EX/build" "$STAGE/testlib/build"
    make -s -C "$STAGE/$EX" IMPL=solution tests ref-programs >"$WORK/stage.log" 2>&1
    chmod 0711 "$STAGE/$EX/build/solution/"*
    cp -r "$STAGE/mk" "$STAGE/tools" "$JD/root/"
    mkdir -p "$JD/root/testlib"
    cp "$STAGE/$EX/Makefile" "$STAGE/$EX/STUDENT_FILES" "$STAGE/$EX/solution/"*.c "$JD/root/$EX/"
    HIDE=(--hide "$STAGE/$EX/solution" --hide "$STAGE/$EX/rubric.tsv" --hide "$STAGE/$EX/tests"
          --hide "$STAGE/$EX/buggy")
    "$SBX" --slot $HS --name "$NAME-alice-$EX-build" --rw "$JD/root" --ro "$STAGE" "${HIDE[@]}" \
        --chdir "$JD/root/$EX" --time 120 --cpu 120 --mem 1G --pids 256 --output 4M \
        --log "$JD/build.log" --verdict "$JD/build.verdict" --quiet \
        -- make -s --no-print-directory IMPL=student ROOT="$STAGE" programs
    exec 3>"$JD/results.tsv"
    "$SBX" --slot $HS --name "$NAME-alice-$EX-tests" --rw "$JD/root" --ro "$STAGE" "${HIDE[@]}" \
        --chdir "$JD/root/$EX" --time 120 --cpu 120 --mem 1G --pids 256 --output 16M \
        --log "$JD/tests.log" --verdict "$JD/tests.verdict" --quiet --pass-fd 3 \
        --setenv TL_RESULTS_FD=3 --setenv TD_BIN="$JD/root/$EX/build/student" \
        --setenv TD_BIN_SHOW=build/student --setenv TL_PRELOAD="$STAGE/testlib/build/tl_preload.so" \
        --setenv TD_REF_BIN="$STAGE/$EX/build/solution" \
        -- "$STAGE/$EX/build/tests/run_tests"
    exec 3>&-
    n=$(grep -c "	PASS	" "$JD/results.tsv")
    expect "grading job: td1-signals built and all tests pass through descriptor 3" \
        '[ "$(field "$JD/build.verdict" status)" = ok ] && [ "$(field "$JD/tests.verdict" status)" = ok ] && [ "$n" -ge 10 ] && ! grep -qv "	PASS	" "$JD/results.tsv"' \
        "$(cat "$WORK/stage.log" "$JD/build.verdict" "$JD/tests.verdict"; tail -n 5 "$JD/build.log" "$JD/tests.log"; cat "$JD/results.tsv")"
    expect "grading job: nothing left on the host" '[ -z "$(leftovers)" ]' "$(leftovers)"
fi

# At the very end, zombies included (the host's pid 1 reaps orphans late: allow 5 s).
any_procs() {
    grep -lE "^Uid:[[:space:]]+($HUID|$CUID|$UUID_)[[:space:]]" /proc/[0-9]*/status 2>/dev/null |
        while read -r f; do echo "${f%/status}: $(grep -E '^(State|PPid)' "$f" | tr '\n\t' '  ')"; done
}
for i in $(seq 50); do [ -z "$(any_procs)" ] && break; sleep 0.1; done
expect "end: no process of the test's uids, not even a zombie" '[ -z "$(any_procs)" ]' "$(any_procs)"

secs=$(( ($(date +%s%N) - start) / 1000000 ))
echo "run-hostile: ${secs} ms"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
