#!/bin/sh
# setup.sh: Gradescope runs this once when it builds the autograder image. It installs
# the packages the workbook needs, builds the grader and prebuilds every exercise's tests
# and reference programs, so that grading a submission starts at once.
# AUTOGRADER_ROOT (default /autograder) and GRADER_SKIP_APT=1 serve the local simulation.
set -eu
ROOT=${AUTOGRADER_ROOT:-/autograder}
WB=$ROOT/source/workbook
if [ -z "${GRADER_SKIP_APT:-}" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    build-essential pkg-config libcriterion-dev valgrind libarchive-dev gnuplot-nox \
    procps python3 bubblewrap
fi
make -s -C "$WB/grader" all
make -s -C "$WB/grader/sandbox" build/sandbox sandbox   # the isolation layer
"$WB/grader/grader" --prepare -q --tree "$WB" --workdir "$ROOT/source/grader-work" \
  -o "$ROOT/source/grader-out"
