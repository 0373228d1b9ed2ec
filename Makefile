# Makefile: the workbook's top level. Every target runs over every exercise.
#   make             build every exercise's programs (the student's files)
#   make check       run every exercise's tests on the student's files, then a score table
#                    (failures shown for the exercises started; ALL=1: for all)
#   make memcheck    run every exercise's valgrind scenarios
#   make test        the workbook's own suite: the tests judge (reference passes,
#                    skeleton fails cleanly, every buggy variant is caught)
#   make demo        the grader on a built-in sample class of 7 students (build/demo/)
#   make submit      pack your files into submission.tar.gz (student tree)
#   make dist        the student tarball (build/dist/workbook.tar.gz); make distcheck proves it
#   make handouts    every handout as a standalone HTML page (build/handouts/), with diagrams;
#                    make handouts-check opens them in headless Chromium
#   make clean
# IMPL=solution (instructor tree) runs check/memcheck on the reference instead.

EXERCISES := $(patsubst %/Makefile,%,$(sort $(wildcard td*/Makefile)))
IMPL      ?= student
SUMMARY   := build/test-summary

INSTRUCTOR := $(wildcard tools/selftest)
.PHONY: all check memcheck test clean submit dist distcheck instructor-only handouts handouts-check demo

all:
	@for e in $(EXERCISES); do $(MAKE) -s -C $$e IMPL=$(IMPL) all || exit 1; done
	@if [ -f grader/Makefile ]; then $(MAKE) -s -C grader all && $(MAKE) -s -C grader/sandbox all; fi

# Every exercise runs even when one fails; the table comes last. The report of an
# exercise not started (its files are still the skeleton's: tools/started) is kept in
# build/check-EXERCISE.txt, not printed, unless ALL=1. Below full marks the status is 1,
# without make's "*** Error" line (question mode: see mk/exercise.mk).
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out check memcheck,$(MAKECMDGOALS)),)
MAKEFLAGS += -q
endif
endif
SUB_MAKEFLAGS = MAKEFLAGS='$(subst q,,$(firstword $(MAKEFLAGS))) $(wordlist 2,999,$(MAKEFLAGS))'
check:
	+@mkdir -p build; : > build/scores; hidden=""; \
	for e in $(EXERCISES); do \
	  $(SUB_MAKEFLAGS) $(MAKE) -s --no-print-directory -C $$e IMPL=$(IMPL) check > build/check-$$e.txt 2>&1; \
	  line=$$(tail -n 1 build/check-$$e.txt | grep "^$$e: ") || line="$$e: build failed"; \
	  if [ -n "$(ALL)" ] || [ "$(IMPL)" != student ] || tools/started $$e || [ "$$line" = "$$e: build failed" ]; then \
	    cat build/check-$$e.txt; echo; echo "$$line" >> build/scores; \
	  else hidden="$$hidden $$e"; echo "$$line (not started)" >> build/scores; fi; \
	done; \
	tools/score-table build/scores; rc=$$?; \
	[ -z "$$hidden" ] || echo "Not started (still the skeleton's files), failures not shown:$$hidden; make check ALL=1 shows them."; \
	exit $$rc

memcheck:
	+@rc=0; for e in $(EXERCISES); do $(SUB_MAKEFLAGS) $(MAKE) -s --no-print-directory -C $$e IMPL=$(IMPL) memcheck || rc=1; done; exit $$rc

submit:
	@tools/submit

test: instructor-only
	@mkdir -p build; : > $(SUMMARY)
	@$(MAKE) -s -C $(firstword $(EXERCISES)) tests >/dev/null   # the shared test support, once
	@# Two exercises at a time (their tests are built to pass with every core busy);
	@# each one's report is printed whole, in order.
	@# The whole report also goes to build/test-output.txt; a failing run ends with its
	@# failure lines, so the last lines of a CI log say what failed.
	@{ printf '%s\n' $(EXERCISES) | xargs -P 2 -I{} sh -c 'tools/selftest {} $(SUMMARY) > build/selftest-{}.txt 2>&1'; \
	  for e in $(EXERCISES); do cat build/selftest-$$e.txt; done; \
	  tools/subsuite scorer $(SUMMARY) testlib/golden/check; \
	  tools/subsuite sandbox $(SUMMARY) $(MAKE) -s -C grader/sandbox test; \
	  tools/subsuite grader $(SUMMARY) $(MAKE) -s -C grader test; \
	  tools/distcheck $(SUMMARY); \
	  tools/subsuite demo $(SUMMARY) tools/demo --check build/demo; \
	  if handouts/build >/dev/null; then handouts/check build/handouts $(SUMMARY); \
	  else echo "handouts: the build failed"; echo "0 1" >> $(SUMMARY); fi; \
	  } 2>&1 | tee build/test-output.txt; \
	  awk '{ p += $$1; f += $$2 } END { exit f > 0 }' $(SUMMARY) || \
	  { echo; echo "What failed (the whole report: build/test-output.txt):"; \
	    grep -E 'FAILED|^  - ' build/test-output.txt | cut -c1-400; }; \
	  awk '{ p += $$1; f += $$2 } END { printf "%d passed, %d failed\n", p, f; exit f > 0 }' $(SUMMARY)

# The grader's main job, on a sample class built from the reference, buggy variants, a
# skeleton, a build failure and a fork bomb: prints the gradebook and where the reports are.
demo: instructor-only all
	@tools/demo

dist: instructor-only
	@tools/dist

distcheck: instructor-only
	@tools/distcheck

handouts: instructor-only
	@handouts/build

handouts-check: handouts
	@handouts/check build/handouts

instructor-only:
	@test -n "$(INSTRUCTOR)" || { echo "This target needs the instructor tree (tools/selftest)."; exit 2; }

clean:
	@for e in $(EXERCISES); do $(MAKE) -s -C $$e clean; done
	@if [ -f grader/Makefile ]; then $(MAKE) -s -C grader clean; $(MAKE) -s -C grader/sandbox clean; fi
	rm -rf build testlib/build
