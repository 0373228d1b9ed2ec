#!/bin/sh
# mksub.sh: make a submission tree from the instructor tree, for the grader's tests.
# usage: mksub.sh TREE KIND DEST EXERCISE...
#   KIND: solution (the reference files), skeleton (the files as shipped), or
#         buggy/NAME (the reference with EXERCISE/buggy/NAME.patch applied)
# DEST/EXERCISE/FILE for every FILE of EXERCISE/STUDENT_FILES, plus an ANSWERS.md.
set -eu
tree=$1 kind=$2 dest=$3
shift 3
for ex in "$@"; do
  mkdir -p "$dest/$ex"
  for f in $(grep -v '^#' "$tree/$ex/STUDENT_FILES"); do
    [ "$f" = ANSWERS.md ] && continue
    case $kind in
      skeleton) src=$tree/$ex/$f ;;
      *) src=$tree/$ex/solution/$f ;;
    esac
    mkdir -p "$(dirname "$dest/$ex/$f")"
    cp "$src" "$dest/$ex/$f"
  done
  case $kind in
    buggy/*) patch -s -p1 -d "$dest/$ex" < "$tree/$ex/$kind.patch" ;;
  esac
  printf '# Answers (%s)\n\n1. Because.\n' "$kind" > "$dest/$ex/ANSWERS.md"
done
