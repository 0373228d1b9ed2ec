#!/bin/sh
# run.sh: the grader's test suite (`make -C grader test`). It grades submissions made
# from a private copy of the instructor tree (td1-signals, plus td9-copy: td1 again
# with a hidden test and memcheck lines) and checks the scores against `make results`
# run on the same tree (the oracle), the outputs against their formats, and the
# tampering, deadline, parallel, GNU parallel, Gradescope and Autolab paths.
# Prints one line per check and last "N passed, N failed"; exits 1 on any failure.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
wb=$(cd "$here/.." && pwd)
B=$here/build/test
G=$B/grader        # a copy: rebuilding the grader during a run changes nothing
T=$B/tree
W=$B/work
passed=0 failed=0
start=$(date +%s)

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
nok() { failed=$((failed + 1)); echo "FAIL - $1"; [ -z "${2:-}" ] || echo "$2" | sed 's/^/       /' | head -25; }
# check NAME COMMAND...: the command's success is the check's.
check() {
  name=$1; shift
  if out=$("$@" 2>&1); then ok "$name"; else nok "$name" "$out"; fi
}
# same NAME GOT WANT
same() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "got:  $2
want: $3"; fi; }
GRADER_SANDBOX=$here/sandbox/sandbox; export GRADER_SANDBOX   # isolation on in every run
# The parallel runs' -j (GRADER_TEST_JOBS; set it empty for the grader's own default, which
# grows with the CPUs' idle time: make -C grader test GRADER_TEST_JOBS=).
JOBS=${GRADER_TEST_JOBS--j 2}
grader() { "$G" -T "$T" --workdir "$W" -q "$@"; }

# score OUT ID [EXERCISE]: a student's total, or one exercise's score, from grade.tsv.
score() {
  if [ $# -eq 3 ]; then awk -F'\t' -v e="$3" '$1 == "exercise" && $2 == e { print $3 }' "$1/$2/grade.tsv"
  else awk -F'\t' '$1 == "total" { print $2 }' "$1/$2/grade.tsv"; fi
}
state() { awk -F'\t' -v e="$3" '$1 == "exercise" && $2 == e { print $5 }' "$1/$2/grade.tsv"; }
# failing OUT ID EXERCISE: the Criterion tests the grader failed, sorted.
failing() {
  awk -F'\t' -v e="$3" '$1 == "test" && $2 == e && $6 != "PASS" && $3 !~ /^memcheck\// { print $3 }' \
    "$1/$2/grade.tsv" | sort | tr '\n' ' '
}
# oracle EXERCISE IMPL: the tests `make results` fails on the private tree, sorted.
oracle() {
  make -s -C "$T/$1" IMPL="$2" results >/dev/null 2>&1
  awk -F'\t' '$2 != "PASS" { print $1 }' "$T/$1/build/$(echo "$2" | tr / -)/results.tsv" | sort | tr '\n' ' '
}
# points EXERCISE TESTS...: the rubric points of those tests.
points() {
  ex=$1; shift
  for t in "$@"; do awk -F'\t' -v t="$t" '$1 == t { print $2 }' "$T/$ex/rubric.tsv"; done |
    awk '{ s += $1 } END { print s + 0 }'
}
max_of() { awk -F'\t' '!/^#/ && NF >= 2 { s += $2 } END { print s }' "$T/$1/rubric.tsv"; }

# ---------- the private instructor tree ----------
make_tree() {
  rm -rf "$B" && mkdir -p "$T" "$B/subs" || return 1
  for part in mk tools testlib td1-signals; do
    (cd "$wb" && tar --exclude=build -cf - "$part") | (cd "$T" && tar -xf -) || return 1
  done
  cp -R "$T/td1-signals" "$T/td9-copy"
  sed -i 's/^EXERCISE *:=.*/EXERCISE := td9-copy/' "$T/td9-copy/Makefile"
  cp "$here/tests/hidden_extra.c" "$T/td9-copy/tests/hidden_extra.c"
  printf 'hidden/bad_count_is_usage_error\t1\thidden\tValidate -c with strtol.\n' >> "$T/td9-copy/rubric.tsv"
  printf 'memcheck/clean\t2\tvisible\tFree what you allocate; close what you open.\n' >> "$T/td9-copy/rubric.tsv"
  { echo "# requires: run/exits_cleanly"
    awk 'done || /^#/ || !NF { print; next } { print "# memcheck/clean: the first scenario"; print; done = 1 }' \
      "$T/td1-signals/memcheck.txt"; } > "$T/td9-copy/memcheck.txt"
}

# sub NAME KIND EXERCISE...: a submission tree $B/subs/NAME (see mksub.sh).
sub() { name=$1 kind=$2; shift 2; "$here/tests/mksub.sh" "$T" "$kind" "$B/subs/$name" "$@"; }

make_subs() {
  sub ref solution td1-signals td9-copy &&
  sub skel skeleton td1-signals td9-copy &&
  sub broken solution td1-signals td9-copy &&
  printf 'static int unused_variable_warning;\n' >> "$B/subs/broken/td1-signals/hello_signals.c" &&
  printf 'this is not C\n' >> "$B/subs/broken/td9-copy/hello_signals.c" &&
  sub missing solution td1-signals td9-copy &&
  rm "$B/subs/missing/td1-signals/hello_signals.c" &&
  sub tamper skeleton td1-signals td9-copy || return 1
  t=$B/subs/tamper
  for ex in td1-signals td9-copy; do
    cat "$here/tests/tamper/forge.c" >> "$t/$ex/hello_signals.c"
    mkdir -p "$t/$ex/tests" "$t/$ex/build/student"
    cp "$here/tests/tamper/Makefile" "$here/tests/tamper/rubric.tsv" "$t/$ex/"
    cp "$here/tests/tamper/test_hello_signals.c" "$t/$ex/tests/"
    printf 'run/exits_cleanly\tPASS\t\n' > "$t/$ex/build/student/results.tsv"
  done
  mkdir -p "$t/mk" "$t/tools" && printf 'results:\n\t@true\n' > "$t/mk/exercise.mk" &&
  printf '#!/bin/sh\necho "td1-signals: 1000/1000"\n' > "$t/tools/score"
  mkdir -p "$B/batch1" && for s in ref skel broken missing tamper; do cp -R "$B/subs/$s" "$B/batch1/"; done
}

# ---------- 1. one LMS folder: reference, skeleton, broken, missing, tampering ----------
test_batch1() {
  O=$B/out1
  check "batch1: grade an LMS folder of 5 students with ${JOBS:-the default -j}" grader $JOBS -o "$O" "$B/batch1"
  max=$(( $(max_of td1-signals) + $(max_of td9-copy) ))
  same "reference: full marks ($max)" "$(score "$O" ref)" "$max"
  for ex in td1-signals td9-copy; do
    same "skeleton $ex: fails exactly what make results fails" "$(failing "$O" skel $ex)" "$(oracle $ex student)"
  done
  mc=$(make -s -C "$T/td9-copy" IMPL=student memcheck 2>&1 | awk '/^  (ok|FAIL)/ { print $1; exit }')
  got=$(awk -F'\t' '$3 == "memcheck/clean" { print $6 }' "$O/skel/grade.tsv")
  same "skeleton td9-copy: memcheck/clean is not run before run/exits_cleanly passes (its scenario alone: $mc)" "$got" NOTRUN
  check "skeleton td9-copy: ... and the feedback says why" grep -q "once these tests pass: run/exits_cleanly" "$O/skel/feedback.md"
  grader --keep --regrade -e td9-copy -o "$B/out1k" "$B/subs/skel"
  check "skeleton td9-copy: ... without spending time on valgrind" sh -c "test -e '$W/jobs/skel/td9-copy/tests.log' && ! test -e '$W/jobs/skel/td9-copy/memcheck.log'"
  rm -rf "$W/jobs/skel"
  same "broken: td1-signals graded despite td9-copy" "$(score "$O" broken td1-signals)" "$(max_of td1-signals)"
  same "broken: td9-copy scores 0, build failed" "$(score "$O" broken td9-copy) $(state "$O" broken td9-copy)" "0 build failed"
  check "broken: the compiler's error is in the feedback" grep -q "error:" "$O/broken/feedback.md"
  check "broken: the warning is reported" grep -q "unused_variable_warning" "$O/broken/feedback.md"
  same "missing: td1-signals scores 0 (missing files)" "$(score "$O" missing td1-signals) $(state "$O" missing td1-signals)" "0 missing files"
  same "missing: td9-copy graded" "$(score "$O" missing td9-copy)" "$(max_of td9-copy)"
  t=$(score "$O" tamper) s=$(score "$O" skel)
  check "tamper: score $t is not above the skeleton's $s" test "$t" -le "$s"
  same "tamper: the maximum is still the instructor's" "$(awk -F'\t' '$1 == "total" { print $3 }' "$O/tamper/grade.tsv")" "$max"
  for id in ref skel broken missing tamper; do
    check "results.json of $id is valid Gradescope output" python3 "$here/tests/validate.py" results "$O/$id/results.json" "$(score "$O" $id)"
  done
  check "results.json: hidden test is after_published" python3 -c "
import json, sys
t = [t for t in json.load(open('$O/ref/results.json'))['tests'] if 'hidden/' in t['name']]
sys.exit(not (t and all(x['visibility'] == 'after_published' for x in t)))"
  check "gradebook.csv is valid (5 students)" python3 "$here/tests/validate.py" gradebook "$O/gradebook.csv" 5
  check "summary.txt has the histogram and pass rates" grep -q "Pass rate per test" "$O/summary.txt"
  check "summary.png is a PNG" sh -c "head -c 8 '$O/summary.png' | od -c | grep -q 'P   N   G'"
  check "feedback: hint, failure excerpt and reproduce line" sh -c \
    "grep -q '^Hint: ' '$O/skel/feedback.md' && grep -q 'What went wrong' '$O/skel/feedback.md' && grep -q 'make -C td1-signals check' '$O/skel/feedback.md' && grep -q 'build/student/hello_signals' '$O/skel/feedback.md'"
  check "answers kept for the record" test -s "$O/ref/td1-signals.ANSWERS.md"
}

# ---------- 2. every buggy variant of td1 loses exactly what make results says ----------
test_buggy() {
  O=$B/out2 L=$B/batch2
  mkdir -p "$L"
  names=$(cd "$T/td1-signals/buggy" && ls *.patch | sed 's/\.patch$//')
  for n in $names; do
    sub "bug-$n" "buggy/$n" td1-signals && tar -czf "$L/bug-$n.tar.gz" -C "$B/subs/bug-$n" td1-signals
  done
  check "buggy: grade $(echo $names | wc -w) tarballs with ${JOBS:-the default -j}" grader $JOBS -e td1-signals -o "$O" "$L"
  make -s -C "$T/td1-signals" tests ref-programs >/dev/null 2>&1
  for n in $names; do echo "$n"; done |
    xargs -P 2 -I{} sh -c "make -s -C '$T/td1-signals' IMPL=buggy/{} results >/dev/null 2>&1"
  max=$(max_of td1-signals)
  for n in $names; do
    want=$(awk -F'\t' '$2 != "PASS" { print $1 }' "$T/td1-signals/build/buggy-$n/results.tsv" | sort | tr '\n' ' ')
    got=$(failing "$O" "bug-$n" td1-signals)
    if [ "$got" != "$want" ]; then   # a race test may catch a variant only sometimes: once more
      grader -e td1-signals --regrade -o "$O" "$L/bug-$n.tar.gz" && want=$(oracle td1-signals "buggy/$n")
      got=$(failing "$O" "bug-$n" td1-signals)
    fi
    # the timeline of the run is in the feedback (the recorder works in the sandbox)
    if [ "$n" = handler_after_fork ] && echo " $got " | grep -q ' race/handler_before_first_signal '; then
      fb=$O/bug-$n/feedback.md
      same "buggy/$n: the feedback's timeline shows the child killed by SIGUSR1" \
        "$(grep -q 'What your program did' "$fb" && grep -q 'killed by SIGUSR1' "$fb" && echo yes)" yes
    fi
    lost=$(( max - $(score "$O" "bug-$n") ))
    same "buggy/$n: fails {$want} and loses exactly their $(points td1-signals $want) points" \
      "$got/$lost" "$want/$(points td1-signals $want)"
  done
}

# ---------- 2b. failures grouped by cause, hints that fit it (testlib/tl_cause.c) ----------
# td1 without waitpid fails seven tests for one reason (zombies): the feedback says so
# once, shows the first whole, the others point to it, and leaves out the hints that have
# nothing to do with it (installing the handler before fork), as `make check` does.
test_causes() {
  O=$B/out-causes
  sub causes buggy/no_waitpid td1-signals || { nok "causes: build the submission"; return; }
  check "causes: grade td1's buggy/no_waitpid" grader -e td1-signals -o "$O" "$B/subs/causes"
  fb=$O/causes/feedback.md
  n=$(grep -c '^Same reason as run/' "$fb" 2>/dev/null)
  lead=$(grep -c 'tests failed for the same reason: children never reaped (zombies)' "$fb" 2>/dev/null)
  same "causes: the zombie failures explained once, the others point to it" \
    "$lead/$([ "${n:-0}" -ge 4 ] && echo 4+)" "1/4+"
  same "causes: no hint about the handler under a zombie failure" \
    "$(grep -c 'Install the SIGUSR1 handler' "$fb")" 0
}

# ---------- 2c. one scorer: make check's line = the grader's score, same records ----------
# Every records file the exercises' selftests left (the reference, the skeleton, every
# buggy variant, every alternative: `make test` runs them before this suite) is scored
# by tools/score (what `make check` prints) and by the grader's score_exercise()
# (tests/agree.c), and the points must be equal; the golden files of testlib/golden cover
# duplicates, missing records, CRASH, SKIP and TIMEOUT.
test_agreement() {
  total=0 bad=0 variants=0 found=0 diffs=""
  for exdir in "$wb"/td*/; do
    ex=$(basename "$exdir"); [ -f "$exdir/rubric.tsv" ] || continue
    set -- "$exdir"build/*/results.tsv; [ -e "$1" ] || continue
    variants=$((variants + $(ls "$exdir"buggy/*.patch 2>/dev/null | wc -l)))
    found=$((found + $(ls -d "$exdir"build/buggy-*/results.tsv 2>/dev/null | wc -l)))
    mkdir -p "$B/agree/$ex" && rm -rf "$B/agree/$ex"/*
    "$here/build/agree" "$wb" "$ex" "$B/agree/$ex" "$@" > "$B/agree/$ex.tsv" 2>&1 ||
      { bad=$((bad + 1)); diffs="$diffs $ex: $(head -n 1 "$B/agree/$ex.tsv")"; continue; }
    while IFS="$(printf '\t')" read -r res got max; do
      line=$(TL_SCORE="$wb/testlib/build/tl-score" "$wb/tools/score" --quiet --name "$ex" "$exdir/rubric.tsv" "$res" | tail -n 1)
      total=$((total + 1))
      [ "$line" = "$ex: $got/$max" ] || { bad=$((bad + 1)); diffs="$diffs
$res: make check '$line', grader $got/$max"; }
    done < "$B/agree/$ex.tsv"
  done
  if [ "$total" -eq 0 ]; then
    echo "       (no records to compare: make test runs the exercises' selftests first)"; return
  fi
  same "agreement: make check's score = the grader's on $total records files ($found of $variants buggy variants)" \
    "$bad$diffs" 0
}

# ---------- 3. tarball, zip, directory, LMS folder, broken archive, id rule ----------
test_formats() {
  O=$B/out3 F=$B/formats R=$B/subs/ref
  mkdir -p "$F/lms" "$F/wrap/two" "$F/three"
  cp -R "$R/td1-signals" "$F/three/"
  cp -R "$R/td1-signals" "$F/wrap/two/"
  tar -cf "$F/one.tar" -C "$R" td1-signals
  (cd "$F/wrap" && zip -qr ../two.zip two)
  tar -czf "$F/lms/alice.tar.gz" -C "$F/wrap" two
  (cd "$R" && zip -qr "$F/lms/bob.zip" td1-signals)
  cp -R "$F/three" "$F/lms/carol"
  tar -czf "$F/lms/doe_jane_12345_submission.tgz" -C "$R" td1-signals
  head -c 3000 /dev/urandom > "$F/lms/junk.tar.gz"
  check "formats: .tar, .zip, directory and an LMS folder in one run" grader $JOBS -e td1-signals \
    --id-regex '^([a-z]+_[a-z]+)_[0-9]+' -o "$O" "$F/one.tar" "$F/two.zip" "$F/three" "$F/lms"
  max=$(max_of td1-signals)
  for id in one two three alice bob carol doe_jane; do
    same "formats: $id graded in full" "$(score "$O" $id 2>&1)" "$max"
  done
  same "formats: a damaged archive scores 0" "$(score "$O" junk)" 0
  check "formats: ... and says why" grep -q "could not be read" "$O/junk/feedback.md"
  check "gradebook.csv is valid (8 students)" python3 "$here/tests/validate.py" gradebook "$O/gradebook.csv" 8
  before=$(ls -l --time-style=+%s.%N "$O/one/results.json")
  s=$(date +%s)
  "$G" -T "$T" --workdir "$W" -e td1-signals -o "$O" "$F/one.tar" 2>"$B/skip.err"
  same "re-running skips what is graded" "$(ls -l --time-style=+%s.%N "$O/one/results.json")" "$before"
  check "re-running says so" grep -q "already graded" "$B/skip.err"
  check "re-running is fast ($(( $(date +%s) - s )) s)" test $(( $(date +%s) - s )) -le 5
}

# ---------- 4. GNU parallel: one self-contained command per submission, then a merge ----------
# The command line of README.md, with --sshlogin 2/: (the local machine; with remote
# hosts --transferfile/--return/--cleanup move the submission and bring its reports back).
test_parallel() {
  P=$B/p4
  mkdir -p "$P/subs" && tar -czf "$P/subs/ref.tar.gz" -C "$B/subs/ref" td1-signals && cp -R "$B/subs/skel" "$P/subs/"
  check "parallel: grade 2 submissions with GNU parallel --sshlogin 2/:" sh -c "cd '$P' &&
    parallel --will-cite --rpl '{id} s:.*/::; s/\.(tar\.gz|tgz|tar\.xz|tar|zip)\$//' --sshlogin 2/: \
      --transferfile {} --return grades/{id} --cleanup \
      '$G' -T '$T' -q --no-merge -j 1 --single -e td1-signals -o grades {} ::: subs/*"
  check "parallel: merge the results" "$G" --merge -o "$P/grades"
  check "parallel: gradebook.csv has both" python3 "$here/tests/validate.py" gradebook "$P/grades/gradebook.csv" 2
  same "parallel: same scores as a grader run" "$(score "$P/grades" ref) $(score "$P/grades" skel)" \
    "$(max_of td1-signals) $(score "$B/out1" skel td1-signals)"
}

# ---------- 5. the Gradescope package, in a simulated /autograder ----------
test_gradescope() {
  A=$B/autograder
  check "gradescope: make the package" "$here/gradescope/package.sh" "$B/autograder.zip" "$T" td1-signals td9-copy
  mkdir -p "$A/source" "$A/submission" && (cd "$A/source" && unzip -q "$B/autograder.zip")
  check "gradescope: setup.sh builds the grader, the sandbox and the tests" env -u GRADER_SANDBOX AUTOGRADER_ROOT="$A" GRADER_SKIP_APT=1 sh "$A/source/setup.sh"
  cp "$A/source/run_autograder" "$A/run_autograder"
  tar -czf "$A/submission/submission.tar.gz" -C "$B/subs/ref" td1-signals td9-copy
  check "gradescope: run_autograder on submission.tar.gz" env -u GRADER_SANDBOX AUTOGRADER_ROOT="$A" sh "$A/run_autograder"
  max=$(( $(max_of td1-signals) + $(max_of td9-copy) ))
  check "gradescope: the packaged sandbox is built and used (no NO ISOLATION)" sh -c \
    "test -x '$A/source/workbook/grader/sandbox/sandbox' && ! grep -q 'NO ISOLATION' '$A/results/results.json'"
  check "gradescope: results.json valid, full marks" python3 "$here/tests/validate.py" results "$A/results/results.json" "$max"
  rm -rf "$A/submission" "$A/results" && mkdir -p "$A/submission" && cp -R "$B/subs/skel/." "$A/submission/"
  check "gradescope: run_autograder on an uploaded tree" env -u GRADER_SANDBOX AUTOGRADER_ROOT="$A" sh "$A/run_autograder"
  check "gradescope: results.json valid, skeleton score" python3 "$here/tests/validate.py" results \
    "$A/results/results.json" "$(score "$B/out1" skel)"
}

# ---------- 6. Autolab ----------
test_autolab() {
  grader -e td1-signals,td9-copy --autolab --single --id x -o "$B/out6" "$B/subs/broken" > "$B/autolab.txt"
  check "autolab: the last line is the scores" python3 "$here/tests/validate.py" autolab "$B/autolab.txt"
  same "autolab: the scores are the grade's" "$(tail -n 1 "$B/autolab.txt")" \
    "{\"scores\": {\"td1-signals\": $(score "$B/out1" broken td1-signals), \"td9-copy\": 0}}"
}

# ---------- 7. the work copy, and the deadline with a whole-tree kill ----------
test_workcopy() {
  grader --keep --regrade -e td9-copy -o "$B/out7" "$B/subs/ref"
  root=$W/jobs/ref/td9-copy/root/td9-copy
  check "work copy: no solution, buggy variants, rubric or test sources" sh -c \
    "test -f '$root/hello_signals.c' && ! test -e '$root/solution' && ! test -e '$root/buggy' && ! test -e '$root/rubric.tsv' && ! ls '$root'/tests/*.c 2>/dev/null"
  check "work copy: the results never were inside it" sh -c "! test -s '$root/build/student/results.tsv' && test -s '$W/jobs/ref/td9-copy/results.tsv'"
  rm -rf "$W/jobs/ref"
}

test_deadline() {
  sub hang skeleton td1-signals && cat "$here/tests/hang.c" >> "$B/subs/hang/td1-signals/hello_signals.c"
  s=$(date +%s)
  check "deadline: a wedged test run is stopped" grader --timeout 10 -e td1-signals -o "$B/out8" "$B/subs/hang"
  took=$(( $(date +%s) - s ))
  check "deadline: ... within the limit (${took} s)" test "$took" -le 30
  same "deadline: every test without a result failed" "$(score "$B/out8" hang)" 0
  check "deadline: the feedback says so" grep -q "stopped" "$B/out8/hang/feedback.md"
  check "deadline: no process left behind" sh -c "! ps -eo args= | grep -qx 'sleep 987'"
}

# ---------- 9. isolation: hostile submissions beside a clean one, in one batch ----------
HOSTILE="forkbomb busyloop sleeper daemon memhog flood diskfill sysv tmpfiles port readsecret tamper killer stopper"
# host_state: what a run could leave on the host (slot uids' processes, SysV objects with
# the corpus key, /tmp and /dev/shm names, listeners on 8080, sandbox cgroups).
host_state() {
  ps -eo uid=,pid=,args= | awk '$1 >= 61000 && $1 < 65000 { print "process", $0 }'
  ipcs 2>/dev/null | grep -i 0x47524431 | sed 's/^/ipc /'
  ls -d /tmp/hostile-grader-* /dev/shm/hostile-grader-* 2>/dev/null | sed 's/^/file /'
  find /tmp /var/tmp /dev/shm -maxdepth 1 -uid +60999 2>/dev/null | sed 's/^/owned /'
  ss -Hltn 'sport = :8080' 2>/dev/null | sed 's/^/listener /'
}
# hostile_batch DIR SPY: the clean reference and one submission per hostile kind in DIR.
hostile_batch() {
  mkdir -p "$1" && cp -R "$B/subs/ref" "$1/clean"
  for k in $HOSTILE; do
    sub "h-$k" skeleton td1-signals && {
      printf '#define HOSTILE_%s 1\n#define STAGE "%s"\n#define SPY "%s"\n' "$k" "$W/stage" "$2"
      cat "$here/tests/hostile.c"; } > "$B/subs/h-$k/td1-signals/hello_signals.c" && cp -R "$B/subs/h-$k" "$1/"
  done
}
test_hostile() {
  O=$B/out9 H=$B/hostile
  hostile_batch "$H" "$B/subs/ref/td1-signals/hello_signals.c"
  before=$(host_state)
  s=$(date +%s)
  grader --keep $JOBS -t 40 -e td1-signals -o "$O" "$H" > "$B/hostile.err" 2>&1
  check "hostile: the batch of $(echo $HOSTILE | wc -w) hostile + 1 clean finished ($(( $(date +%s) - s )) s)" \
    test -s "$O/gradebook.csv"
  same "hostile: the clean submission gets its score alone" "$(score "$O" clean td1-signals)" "$(max_of td1-signals)"
  for k in $HOSTILE; do
    check "hostile $k: graded, with a report" test -s "$O/h-$k/feedback.md"
  done
  grep_fb() { check "hostile $1: the feedback says '$2'" grep -q "$2" "$O/h-$1/feedback.md"; }
  grep_fb forkbomb "too many processes"
  grep_fb killer "killed by signal 9"
  grep_fb memhog "memory limit"
  grep_fb forkbomb "too many processes.*, while \`[a-z_]*/[a-z_0-9]*\`"
  grep_fb memhog "memory limit.*, while \`[a-z_]*/[a-z_0-9]*\`"
  for k in $HOSTILE; do   # the tests' own deadlines and output capture stop the others
    check "hostile $k: no test passed that the skeleton fails" sh -c \
      "test $(score "$O" h-$k td1-signals) -le $(score "$B/out1" skel td1-signals)"
  done
  leaks=$(find "$W/jobs" -name 'LEAK-*' 2>/dev/null | sed "s|$W/jobs/||")
  same "hostile: no instructor file, other student's file or results descriptor reached" "$leaks" ""
  check "hostile tamper: no forged record (CONFLICT)" sh -c "! grep -q CONFLICT '$O/h-tamper/grade.tsv'"
  same "hostile: nothing left on the host" "$(host_state)" "$before"
  check "hostile: the stage was not written while grading" sh -c \
    "! find '$W/stage' -newer '$B/hostile/clean/td1-signals/hello_signals.c' ! -type d | grep -q ."
  rm -rf "$W/jobs"
  # namespaces refused (simulated): refuse to grade, or grade with NO ISOLATION if allowed
  SANDBOX_SIMULATE_USERNS_DENIED=1 grader -e td1-signals -o "$B/out9b" "$B/subs/ref" 2> "$B/noiso.err"
  same "no namespaces: the grader refuses (status 2)" "$?" 2
  check "no namespaces: ... and says how to allow them" grep -q "allow-no-isolation" "$B/noiso.err"
  SANDBOX_SIMULATE_USERNS_DENIED=1 grader --allow-no-isolation -e td1-signals -o "$B/out9b" "$B/subs/ref" 2> "$B/noiso.err"
  check "no namespaces, --allow-no-isolation: the report says NO ISOLATION" grep -q "NO ISOLATION" "$B/out9b/ref/feedback.md"
  same "no namespaces, --allow-no-isolation: same score" "$(score "$B/out9b" ref)" "$(max_of td1-signals)"
  same "no namespaces: nothing left on the host" "$(host_state)" "$before"
}

# ---------- 11. degraded mode: namespaces refused as in a container ----------
# tests/nons.c loads the seccomp filter of a container platform (no unshare, no clone
# with CLONE_NEW*): bubblewrap fails, and --allow-no-isolation grades each job as its
# slot's uid with rlimits and cleanup, no namespaces. The same hostile batch must be
# contained, the instructor's files unreadable, the clean neighbour's grade unchanged.
NONS=$here/build/nons
# readable_stage: the stage's files a slot uid can read (mk/, tools/, testlib/ and the
# test runners are meant to be).
readable_stage() {
  find "$W/stage" -type f | setpriv --reuid 61000 --regid 61000 --clear-groups \
    sh -c 'while IFS= read -r f; do [ -r "$f" ] && echo "$f"; done' |
    sed "s|^$W/stage/||" | grep -Ev '^(mk|tools|testlib)/|^[^/]*/build/tests/run_tests$' | sort
}
test_degraded() {
  O=$B/out11 H=$B/hostile-nons
  [ -x "$NONS" ] || { nok "degraded: $NONS is built (make -C grader build/nons; libseccomp-dev)"; return; }
  check "degraded: the wrapper refuses namespaces" sh -c "! '$NONS' unshare -U true 2>/dev/null"
  # The spy target: the clean student's feedback, graded first (runs are serial here).
  hostile_batch "$H" "$O/clean/feedback.md"
  before=$(host_state)
  s=$(date +%s)
  "$NONS" "$G" -T "$T" --workdir "$W" -q --keep --allow-no-isolation -t 40 -e td1-signals \
    -o "$O" "$H" > "$B/degraded.err" 2>&1
  check "degraded: the batch of $(echo $HOSTILE | wc -w) hostile + 1 clean finished under nons ($(( $(date +%s) - s )) s)" \
    test -s "$O/gradebook.csv"
  same "degraded: the clean submission gets its score alone" "$(score "$O" clean td1-signals)" "$(max_of td1-signals)"
  check "degraded: every report says NO ISOLATION, and what still holds" sh -c \
    "for f in '$O'/*/feedback.md; do grep -q 'NO ISOLATION.*Still in force: the job ran as an unprivileged uid' \"\$f\" || exit 1; done"
  grep_fb() { check "degraded $1: the feedback says '$2'" grep -q "$2" "$O/h-$1/feedback.md"; }
  grep_fb forkbomb "too many processes"
  grep_fb memhog "memory limit"
  # killer's kill(-1, SIGKILL) reaches the sandbox's init (same uid here) and the test
  # runner in either order: the runner dies first and the init reports it, or the init dies
  # and the sandbox loses track. Either way the feedback must say the run was killed.
  check "degraded killer: the feedback says the test run was killed" \
    grep -Eq "lost track of the command|The test run crashed: killed by signal" "$O/h-killer/feedback.md"
  for k in $HOSTILE; do
    check "degraded $k: graded, no test passed that the skeleton fails" sh -c \
      "test -s '$O/h-$k/feedback.md' && test $(score "$O" h-$k td1-signals) -le $(score "$B/out1" skel td1-signals)"
  done
  leaks=$(find "$W/jobs" -name 'LEAK-*' 2>/dev/null | sed "s|$W/jobs/||")
  same "degraded: no instructor file, grade or results descriptor reached" "$leaks" ""
  check "degraded tamper: no forged record (CONFLICT)" sh -c "! grep -q CONFLICT '$O/h-tamper/grade.tsv'"
  same "degraded: nothing left on the host (processes, SysV, /tmp, listeners)" "$(host_state)" "$before"
  same "degraded: no instructor file in the stage is readable by a slot uid" "$(readable_stage)" ""
  check "degraded: the reports are root's alone" sh -c \
    "! setpriv --reuid 61000 --regid 61000 --clear-groups cat '$O/clean/grade.tsv' 2>/dev/null"
  rm -rf "$W/jobs"
  # The Gradescope path (run_autograder passes --allow-no-isolation), under the wrapper.
  A=$B/autograder
  if [ -x "$A/run_autograder" ] || [ -f "$A/run_autograder" ]; then
    rm -rf "$A/submission" "$A/results" && mkdir -p "$A/submission"
    tar -czf "$A/submission/submission.tar.gz" -C "$B/subs/ref" td1-signals td9-copy
    check "degraded gradescope: run_autograder under nons" env -u GRADER_SANDBOX AUTOGRADER_ROOT="$A" "$NONS" sh "$A/run_autograder"
    max=$(( $(max_of td1-signals) + $(max_of td9-copy) ))
    check "degraded gradescope: results.json valid, full marks" python3 "$here/tests/validate.py" results "$A/results/results.json" "$max"
    check "degraded gradescope: results.json says NO ISOLATION" grep -q "NO ISOLATION" "$A/results/results.json"
  else
    nok "degraded gradescope: the simulated /autograder of test_gradescope exists"
  fi
}

# ---------- 12. a newcomer's first run: a private directory, a missing sandbox ----------
test_firstrun() {
  P=$(mktemp -d)   # mode 0700, like a Debian 12 home
  vt_before=$(ls -d /var/tmp/grader-* 2>/dev/null)
  (cd "$P" && "$G" -q -T "$T" -e td1-signals -o grades "$B/subs/ref") > "$B/firstrun.err" 2>&1
  same "first run: as root from a 0700 directory, no --workdir: graded with isolation, full marks" \
    "$(score "$P/grades" ref 2>/dev/null)" "$(max_of td1-signals)"
  check "first run: ... with no NO ISOLATION" sh -c "! grep -q 'NO ISOLATION' '$P/grades/ref/feedback.md'"
  same "first run: its work directory in /var/tmp is removed" "$(ls -d /var/tmp/grader-* 2>/dev/null)" "$vt_before"
  mkdir "$P/private" && chmod 0700 "$P/private"
  "$G" -q -T "$T" -e td1-signals --workdir "$P/private/work" -o "$P/g2" "$B/subs/ref" > "$B/firstrun.err" 2>&1
  same "first run: --workdir the slot uids cannot reach: status 2" "$?" 2
  check "first run: ... the message names the directory and the fix" grep -q "chmod o+x $P/private" "$B/firstrun.err"
  "$G" -q -T "$T" --sandbox /nonexistent -o "$P/g3" "$B/subs/ref" > "$B/firstrun.err" 2>&1
  same "first run: --sandbox /nonexistent: status 2" "$?" 2
  check "first run: ... nothing written (no $P/g3)" test ! -e "$P/g3"
  env -u GRADER_SANDBOX "$G" -q -T "$T" -o "$P/g4" "$B/subs/ref" > "$B/firstrun.err" 2>&1
  same "first run: no sandbox built beside the grader: status 2" "$?" 2
  check "first run: ... the message says how to build it" grep -q "make -C .*sandbox" "$B/firstrun.err"
  check "first run: ... nothing written" test ! -e "$P/g4"
  rm -rf "$P"
}

# ---------- 10. the broken-archive corpus (sandbox/archives/mkbroken.py, MANIFEST.tsv) ----------
test_archives() {
  C=$here/sandbox/build/archives O=$B/out10 L=$B/archives
  if ! [ "$C/MANIFEST.tsv" -nt "$here/sandbox/archives/mkbroken.py" ]; then
    C=$B/corpus && python3 "$here/sandbox/archives/mkbroken.py" "$C" >/dev/null || return
  fi
  mkdir -p "$L" && cp -R "$C/." "$L/" && rm "$L/MANIFEST.tsv"
  rm -rf /tmp/sandbox-archive-escape-*
  check "archives: grade the $(wc -l < "$C/MANIFEST.tsv") cases of the corpus as one LMS folder" \
    grader $JOBS -e td1-signals --lms -o "$O" "$L"
  for id in $(ls "$O" | grep -v '\.'); do
    case=$(ls "$L" | while read -r f; do [ "$(echo "$f" | sed 's/\.\(tar\.gz\|tar\|zip\)$//;s:/$::')" = "${id%~2}" ] && echo "$f"; done | head -n 1)
    [ -n "$case" ] || continue
    want=$(awk -F'\t' -v c="$case" '$1 == c || $1 == c "/" { print $3 }' "$C/MANIFEST.tsv" | head -n 1)
    case $want in
      refuse) check "archives: $case is refused with a message" grep -q "could not be read" "$O/$id/feedback.md" ;;
      *) check "archives: $case ($want) has a report" test -s "$O/$id/feedback.md" ;;
    esac
  done
  same "archives: nothing written outside the work directory" "$(ls -d /tmp/sandbox-archive-escape-* 2>/dev/null)" ""
  check "archives: neutralised members are named in the feedback" grep -q "absolute path" "$O/absolute/feedback.md"
}

# ---------- 0. the files passed between programs, each through its one owner ----------
test_records() {
  mkdir -p "$B/records" && "$here/build/records" "$B/records" > "$B/records.log" 2>&1
  rc=$?
  sed 's/^/       /' "$B/records.log" | grep -v '^ *ok' | grep -v 'passed, ' || true
  same "records: verdict, job status and grade.tsv round-trip ($(tail -n 1 "$B/records.log"))" "$rc" 0
}

# ---------- 13. the class report and code similarity: a planted class per exercise ----------
# plant.py: the reference; a renamed, recommented, reordered, reformatted copy; a copy with
# one function rewritten; an independent solution; two untouched skeletons.
test_similarity() {
  S=$B/sim O=$B/out13 exs="td1-signals td4-pipes td7-concurrent-server"
  rm -rf "$S" && mkdir -p "$S/tree" || return
  for part in mk tools testlib $exs; do
    (cd "$wb" && tar --exclude=build -cf - "$part") | (cd "$S/tree" && tar -xf -) || return
  done
  python3 "$here/tests/plant.py" "$S/tree" "$S/class" $exs || { nok "similarity: plant.py failed"; return; }
  gs() { "$G" -T "$S/tree" --workdir "$S/work" "$@"; }
  gs $JOBS -o "$O" --lms "$S/class" > "$B/sim.err" 2>&1
  same "similarity: the planted class is graded (6 submissions x td1, td4, td7)" "$?" 0
  check "similarity: the grader printed the step's own time" grep -q "^grader: similarity: .* in [0-9.]* s" "$B/sim.err"
  sed -n 's/^grader: similarity: /       similarity step: /p' "$B/sim.err"
  pairs() { awk -F, -v e="$1" 'NR > 1 && $1 == e { print $2 "~" $3 }' "$O/similarity.csv" | sort | tr '\n' ' '; }
  for ex in $exs; do
    same "similarity $ex: flagged pairs are reference, renamed and rewrite, nothing else" \
      "$(pairs $ex)" "reference~renamed reference~rewrite renamed~rewrite "
  done
  check "similarity: the kept code is the student's files as submitted" \
    cmp "$S/class/renamed/td4-pipes/pipe_sum.c" "$O/renamed/code/td4-pipes/pipe_sum.c"
  check "similarity.csv header" sh -c "head -n 1 '$O/similarity.csv' | grep -q '^exercise,a,b,similarity_a,similarity_b,tokens'"
  check "index.html: the flagged pairs with sim_c's side-by-side runs" sh -c \
    "grep -q 'td1-signals: reference and renamed' '$O/index.html' && grep -q 'reference.c: line [0-9]*-[0-9]*  *|renamed.c: line' '$O/index.html'"
  check "index.html: similarity is evidence, never a verdict" grep -q "never a verdict" "$O/index.html"
  check "index.html: every student links to their feedback.html" sh -c \
    "for id in reference renamed rewrite independent skeleton1 skeleton2; do grep -q \"href=\\\"\$id/feedback.html\\\"\" '$O/index.html' || exit 1; done"
  check "index.html: the plot is embedded" grep -q 'src="data:image/png;base64,' "$O/index.html"
  check "index.html: hints beside the pass rates" grep -q "$(awk -F'\t' 'NR == 2 { print substr($4, 1, 30) }' "$S/tree/td4-pipes/rubric.tsv")" "$O/index.html"
  printf '<html><body><img src="data:image/png;base64,AAAA"><a href="nobody/feedback.html">x</a></body></html>\n' > "$O/.broken.html"
  out=$("$here/tests/check-report.sh" "$O/.broken.html" 2>&1)
  check "check-report.sh fails on a broken image and a dangling link" sh -c \
    "echo '$out' | grep -q 'image:' && echo '$out' | grep -q 'link:nobody/feedback.html'"
  rm -f "$O/.broken.html"
  out=$("$here/tests/check-report.sh" "$O/index.html" "$O"/*/feedback.html 2>&1)
  same "class report and every feedback.html pass the headless-Chromium check" "$?" 0
  echo "$out" | grep -v '^ok' | sed 's/^/       /'
  # Every pair, below the threshold too: the measured similarities.
  rm -rf "$B/out13all" && cp -R "$O" "$B/out13all" && gs -q --merge -o "$B/out13all" --similarity-threshold 0 2>/dev/null
  echo "       measured (exercise,a,b,a%,b%,tokens; every pair not listed scored 0/0):"
  tr -d '\r' < "$B/out13all/similarity.csv" | awk -F, 'NR > 1 && $4 + $5 > 0' | sed 's/^/         /'
  same "similarity: two untouched skeletons score 0 with each other" \
    "$(tr -d '\r' < "$B/out13all/similarity.csv" | awk -F, '$2 == "skeleton1" && $3 == "skeleton2" { print $4 + $5 }' | sort -u)" 0
  # Prior terms: compared with this class, never with each other.
  mkdir -p "$S/prior" && cp -R "$S/class/renamed" "$S/prior/lastyear1" && cp -R "$S/class/renamed" "$S/prior/lastyear2" &&
    (cd "$S/prior" && tar -czf lastyear3.tar.gz -C "$S/class" rewrite && rm -rf "$S/prior/lastyear2/td7-concurrent-server")
  gs -q --merge -o "$O" --similar-to "$S/prior" 2>/dev/null
  same "--similar-to: the prior copies are flagged with this class's reference" \
    "$(pairs td1-signals | tr ' ' '\n' | grep '^reference~prior' | tr '\n' ' ')" \
    "reference~prior:lastyear1 reference~prior:lastyear2 reference~prior:lastyear3 "
  same "--similar-to: ... and never with each other" "$(grep -c ',prior:[^,]*,prior:' "$O/similarity.csv")" 0
  # The reasons a submission was not graded fully (batch1's broken and missing).
  if [ -f "$B/out1/grade.tsv" ] || [ -d "$B/out1/broken" ]; then
    check "index.html lists first what was not graded fully, with the reason" sh -c \
      "grep -A12 'id=\"attention\"' '$B/out1/index.html' | grep -q 'build failed' && grep -A12 'id=\"attention\"' '$B/out1/index.html' | grep -q 'missing files'"
  fi
}

# ---------- run ----------
if ! make_tree || ! cp "$here/grader" "$B/grader" || ! make_subs; then
  echo "run.sh: cannot build the test tree in $B" >&2
  exit 1
fi
for t in ${GRADER_TESTS:-records batch1 buggy causes agreement formats parallel gradescope autolab workcopy deadline hostile degraded firstrun archives similarity}; do
  "test_$t"
done
echo "grader tests took $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
